"""Helpers shared by the exchange and transport tests (no tests here): tiny data sets and a
complete two-agency setup (keys, signed agreement, OPRF epoch) written to a directory."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from ppmatch.exchange.agreement import save_agreement
from ppmatch.exchange.config import draft_agreement
from ppmatch.exchange.keys import (
    OprfEpochKeys,
    PartyPublicKeys,
    generate_party_keys,
    save_party_keys,
)

GIVEN = [
    "Mohammed",
    "Anna",
    "Ivan",
    "Maria",
    "Jean",
    "Li",
    "Fatima",
    "Olga",
    "Pedro",
    "Yuki",
    "Hans",
    "Amara",
    "Sofia",
    "Dmitri",
    "Aisha",
    "Lucas",
    "Elena",
    "Omar",
    "Chloe",
    "Kenji",
]
SURNAME = [
    "Al-Rashid",
    "Müller",
    "Petrov",
    "García López",
    "Dubois",
    "Wang",
    "Haddad",
    "Ivanova",
    "Silva",
    "Tanaka",
    "Schmidt",
    "Okafor",
    "Rossi",
    "Volkov",
    "Khan",
    "Martin",
    "Popescu",
    "Farouk",
    "Bernard",
    "Sato",
]
COLUMNS = [
    "record_id",
    "given_names",
    "surname",
    "date_of_birth",
    "sex",
    "nationality",
    "place_of_birth",
    "document_number",
]


def _person(rng: random.Random, index: int) -> dict[str, str]:
    return {
        "given_names": rng.choice(GIVEN),
        "surname": rng.choice(SURNAME),
        "date_of_birth": f"{rng.randint(1950, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "sex": rng.choice("MF"),
        "nationality": rng.choice(["DEU", "FRA", "RUS", "EGY", "JPN", "BRA"]),
        "place_of_birth": rng.choice(["Berlin", "Paris", "Moscow", "Cairo", "Osaka", "Recife"]),
        "document_number": f"X{rng.randint(10**7, 10**8 - 1)}",
    }


def write_datasets(
    directory: Path, *, felons: int = 30, travelers: int = 16, overlap: int = 6, seed: int = 7
) -> tuple[Path, Path, set[tuple[str, str]]]:
    """Felons CSV (with payload columns), travelers CSV, and the true (traveler, felon) pairs."""
    rng = random.Random(seed)
    people = [_person(rng, i) for i in range(felons + travelers)]
    felon_rows = []
    for i in range(felons):
        felon_rows.append(
            {
                "record_id": f"F{i:04d}",
                **people[i],
                "offense_category": rng.choice(["fraud", "assault", "smuggling"]),
                "conviction_date": f"{rng.randint(2000, 2020)}-06-01",
            }
        )
    traveler_rows, truth = [], set()
    for j in range(travelers):
        if j < overlap:
            person = dict(people[j])
            if j % 2:  # clerk-style variation: upper case, other date format
                person["surname"] = person["surname"].upper()
                y, m, d = person["date_of_birth"].split("-")
                person["date_of_birth"] = f"{d}.{m}.{y}"
            truth.add((f"T{j:04d}", f"F{j:04d}"))
        else:
            person = people[felons + j]
        traveler_rows.append({"record_id": f"T{j:04d}", **person})
    felons_path, travelers_path = directory / "felons.csv", directory / "travelers.csv"
    for path, rows in ((felons_path, felon_rows), (travelers_path, traveler_rows)):
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return felons_path, travelers_path, truth


@dataclass
class TwoAgencies:
    root: Path
    agreement: Path
    alpha_keys: Path  # holder
    beta_keys: Path  # querier
    felons: Path
    travelers: Path
    truth: set


def simple_scoring_schema():
    """The default schema with plain weights (any agreeing rule = match), so these tests do not
    depend on the fitted default scoring."""
    from ppmatch.encoding import LinkageSchema, RuleWeights, ScoringSpec

    schema = LinkageSchema.default()
    weights = {rule: RuleWeights(agree=12.0, disagree=0.0) for rule in schema.rule_ids}
    return schema.with_scoring(
        ScoringSpec(rule_weights=weights, match_threshold=10.0, review_threshold=5.0)
    )


def request_elements(travelers: int = 16) -> int:
    """Elements in one evaluation request: every traveler is padded to the schema's maximum."""
    return travelers * simple_scoring_schema().max_tokens_per_record


def setup_two_agencies(
    root: Path,
    *,
    tls_fingerprints: dict | None = None,
    passphrase: bytes | None = None,
    **agreement_options,
) -> TwoAgencies:
    """Keys for alpha (holder) and beta (querier), an agreement signed by both, one epoch."""
    root.mkdir(parents=True, exist_ok=True)
    alpha, beta = generate_party_keys("alpha"), generate_party_keys("beta")
    alpha_dir, beta_dir = root / "alpha-keys", root / "beta-keys"
    save_party_keys(alpha, alpha_dir, passphrase)
    save_party_keys(beta, beta_dir, passphrase)
    OprfEpochKeys(alpha_dir, "alpha").rotate(passphrase)
    draft = draft_agreement(
        [
            PartyPublicKeys(k.name, k.signing_public_hex, k.exchange_public_hex)
            for k in (alpha, beta)
        ],
        agreement_id="test-agreement",
        tls_fingerprints=tls_fingerprints,
        schema=simple_scoring_schema(),
        **agreement_options,
    )
    agreement = root / "agreement.toml"
    save_agreement(agreement, draft.sign("alpha", alpha.signing).sign("beta", beta.signing))
    felons, travelers, truth = write_datasets(root)
    return TwoAgencies(root, agreement, alpha_dir, beta_dir, felons, travelers, truth)
