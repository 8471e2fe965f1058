"""ppmatch.normalize layer."""
