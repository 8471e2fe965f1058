"""Identity column names and the user's column mapping.

Agencies name their columns differently (``first_name``, ``NOM``...). A mapping renames a
file's columns onto the fixed identity columns below; every other column is payload that
travels with the record untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ppmatch.errors import InputError

RECORD_ID = "record_id"
IDENTITY_COLUMNS: tuple[str, ...] = (
    RECORD_ID,
    "given_names",
    "surname",
    "date_of_birth",
    "sex",
    "nationality",
    "place_of_birth",
    "document_number",
)


def parse_column_mapping(text: str | None) -> dict[str, str]:
    """Parse the CLI form ``given_names=first_name,surname=last_name`` into a mapping.

    Keys are identity column names, values are the file's column names.
    """
    if text is None or not text.strip():
        return {}
    mapping: dict[str, str] = {}
    for item in text.split(","):
        identity, sep, source = (part.strip() for part in item.partition("="))
        if not sep or not identity or not source:
            raise InputError(
                f"column mapping item {item.strip()!r} is not of the form identity_column=file_column "
                f"(e.g. given_names=first_name)"
            )
        if identity in mapping:
            raise InputError(f"column mapping names identity column {identity!r} twice")
        mapping[identity] = source
    return mapping


def resolve_columns(
    header: Sequence[str], mapping: Mapping[str, str] | None, *, source: str
) -> dict[str, str]:
    """Return ``{file column: output column}`` for a file's header, checking the mapping.

    Why a separate step: every reader (CSV, Parquet, DataFrame) must reject the same bad
    mappings with the same message before reading any data.
    """
    mapping = dict(mapping or {})
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputError(f"{source}: column {name!r} appears twice in the header")
        seen.add(name)
    for identity, file_column in mapping.items():
        if identity not in IDENTITY_COLUMNS:
            raise InputError(
                f"{source}: unknown column {identity!r} in the column mapping; "
                f"identity columns are {', '.join(IDENTITY_COLUMNS)}"
            )
        if file_column not in seen:
            raise InputError(
                f"{source}: column {file_column!r} (mapped to {identity}) is not in the file; "
                f"columns are {', '.join(header)}"
            )
    renamed = {file_column: identity for identity, file_column in mapping.items()}
    if len(renamed) != len(mapping):
        raise InputError(
            f"{source}: the column mapping uses one file column for two identity columns"
        )
    for name in header:
        if name in IDENTITY_COLUMNS and name not in renamed and name in mapping:
            raise InputError(
                f"{source}: column {name!r} is in the file but the mapping takes "
                f"{name} from column {mapping[name]!r}; rename or drop one of them"
            )
    renamed |= _spelled_otherwise(header, renamed, source)
    output = {name: renamed.get(name, name) for name in header}
    if RECORD_ID not in output.values():
        raise InputError(
            f"{source}: no {RECORD_ID!r} column (columns are {', '.join(header)}); "
            f"add one or map it with --columns {RECORD_ID}=<your id column>"
        )
    return output


def _folded(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _spelled_otherwise(
    header: Sequence[str], renamed: Mapping[str, str], source: str
) -> dict[str, str]:
    """Identity columns written in another case or with spaces (``SURNAME``, ``Date of
    birth``): renamed, so they are matched on rather than carried as payload."""
    taken = set(renamed.values()) | {name for name in header if name in IDENTITY_COLUMNS}
    found: dict[str, str] = {}
    for name in header:
        identity = _folded(name)
        if identity not in IDENTITY_COLUMNS or identity in taken or name in renamed:
            continue
        if identity in found.values():
            other = next(column for column, target in found.items() if target == identity)
            raise InputError(
                f"{source}: columns {other!r} and {name!r} both read as {identity}; "
                f"map one with --columns {identity}=<column>"
            )
        found[name] = identity
    return found
