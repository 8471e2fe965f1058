"""Synthetic multicultural travelers, felons and ground truth for tests and benchmarks."""

from ppmatch.synth.scenario import SynthSummary, generate

__all__ = ["SynthSummary", "generate"]
