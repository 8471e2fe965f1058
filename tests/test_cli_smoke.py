import subprocess
import sys


def test_cli_help_lists_program_name():
    result = subprocess.run(
        [sys.executable, "-m", "ppmatch.cli.main", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "ppmatch" in result.stdout
