"""``python -m ppmatch`` runs the command-line interface."""

from ppmatch.cli.main import main

main()
