"""ppmatch.identity layer."""
