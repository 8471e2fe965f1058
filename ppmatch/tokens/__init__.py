"""ppmatch.tokens layer."""
