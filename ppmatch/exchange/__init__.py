"""ppmatch.exchange layer."""
