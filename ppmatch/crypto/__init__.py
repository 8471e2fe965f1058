"""ppmatch.crypto layer."""
