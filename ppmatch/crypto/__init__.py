"""ppmatch.crypto: RFC 9497 (V)OPRF suites, Shamir sharing, AEAD, HKDF, parallel batches.

The safe layer the protocols use: everything is bytes in, bytes out, and scalars stay inside.
"""

from ppmatch.crypto import aead, kdf, parallel, shamir
from ppmatch.crypto.keys import derive_key_pair, generate_key_pair
from ppmatch.crypto.oprf import OPRFClient, OPRFServer
from ppmatch.crypto.suite import MODE_OPRF, MODE_VOPRF, SUITE_NAMES, Suite, get_suite

__all__ = [
    "MODE_OPRF",
    "MODE_VOPRF",
    "SUITE_NAMES",
    "OPRFClient",
    "OPRFServer",
    "Suite",
    "aead",
    "derive_key_pair",
    "generate_key_pair",
    "get_suite",
    "kdf",
    "parallel",
    "shamir",
]
