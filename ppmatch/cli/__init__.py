"""ppmatch.cli layer."""
