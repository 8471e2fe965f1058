"""ppmatch.transport layer."""
