"""ppmatch.encoding layer."""
