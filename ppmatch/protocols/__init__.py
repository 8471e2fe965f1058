"""ppmatch.protocols layer."""
