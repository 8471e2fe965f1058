"""ppmatch.synth layer."""
