"""Imported once by the multiprocessing fork server (see :mod:`ppmatch.crypto.parallel`).

Loading the suites here, rather than in every worker, means pool workers are forked with
libsodium already mapped (its temporary copy already deleted) and start in milliseconds.
"""

from ppmatch.crypto.parallel import SUITE_NAMES, warm_up

warm_up(SUITE_NAMES)
