"""ppmatch.match layer."""
