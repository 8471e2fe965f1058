"""Exchange commands: agreements, keys, the four offline steps, the HTTPS service, audit.

Thin shells over ``ppmatch.exchange`` and ``ppmatch.transport``. Passphrases are read from
``--passphrase-file`` or ``$PPMATCH_KEY_PASSPHRASE`` (never from the command line); nothing
printed here contains key material.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ppmatch.cli.main import app
from ppmatch.cli.progress import phase_progress

agreement_app = typer.Typer(
    help="Create, sign and verify data-sharing agreements.", no_args_is_help=True
)
keys_app = typer.Typer(help="Generate and rotate party keys.", no_args_is_help=True)
holder_app = typer.Typer(
    help="Holder side: publish, evaluate (offline), serve (online).", no_args_is_help=True
)
query_app = typer.Typer(
    help="Querier side: prepare and finish (offline), run (online).", no_args_is_help=True
)
audit_app = typer.Typer(help="Check audit logs.", no_args_is_help=True)
app.add_typer(agreement_app, name="agreement")
app.add_typer(keys_app, name="keys")
app.add_typer(holder_app, name="holder")
app.add_typer(query_app, name="query")
app.add_typer(audit_app, name="audit")

AgreementOpt = Annotated[Path, typer.Option("--agreement", help="Signed agreement (TOML).")]
KeysOpt = Annotated[Path, typer.Option("--keys", help="Directory with this party's key files.")]
PartyOpt = Annotated[str, typer.Option("--party", help="This party's name in the agreement.")]
PassOpt = Annotated[
    Path | None,
    typer.Option("--passphrase-file", help="File whose first line is the key passphrase."),
]
WorkersOpt = Annotated[int, typer.Option("--workers", help="Worker processes.")]


def _emit(summary: dict) -> None:
    typer.echo(json.dumps(summary, sort_keys=True))


def _passphrase(keys: Path, party: str, passphrase_file: Path | None) -> bytes | None:
    """From --passphrase-file or the environment; else asked for on a terminal if needed."""
    import sys

    from ppmatch.exchange.keys import private_key_path, read_passphrase

    passphrase = read_passphrase(passphrase_file)
    if passphrase is None and sys.stdin.isatty():
        path = private_key_path(keys, party)
        if path.exists() and b"ENCRYPTED PRIVATE KEY" in path.read_bytes()[:64]:
            passphrase = typer.prompt(f"Passphrase for {path}", hide_input=True).encode()
    return passphrase


def _role(agreement: Path, keys: Path, party: str, passphrase_file: Path | None):
    from ppmatch.exchange.roles import load_role

    return load_role(agreement, keys, party, _passphrase(keys, party, passphrase_file))


def _fingerprint(certificate: Path) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    from ppmatch.errors import InputError

    try:
        cert = x509.load_pem_x509_certificate(Path(certificate).read_bytes())
    except (OSError, ValueError) as error:
        raise InputError(f"{certificate}: not a PEM certificate ({error})") from error
    return cert.fingerprint(hashes.SHA256()).hex()


# ---- keys ------------------------------------------------------------------------------------


@keys_app.command("generate")
def keys_generate(
    party: PartyOpt,
    out: Annotated[Path, typer.Option("--out", help="Directory for the key files.")] = Path("keys"),
    passphrase_file: PassOpt = None,
    holder: Annotated[
        bool, typer.Option("--holder", help="Also create the first OPRF epoch key.")
    ] = False,
    ask_passphrase: Annotated[
        bool, typer.Option("--ask-passphrase", help="Type the passphrase (hidden) instead.")
    ] = False,
) -> None:
    """Create Ed25519 + X25519 keys (private file 0600, encrypted if a passphrase is given)."""
    from ppmatch.exchange.keys import (
        OprfEpochKeys,
        generate_party_keys,
        read_passphrase,
        save_party_keys,
    )

    passphrase = read_passphrase(passphrase_file)
    if ask_passphrase and passphrase is None:
        passphrase = typer.prompt(
            "New key passphrase", hide_input=True, confirmation_prompt=True
        ).encode()
    private_path, public_path = save_party_keys(generate_party_keys(party), out, passphrase)
    summary = {
        "private": str(private_path),
        "public": str(public_path),
        "encrypted": bool(passphrase),
    }
    if holder:
        summary["oprf_epoch"] = OprfEpochKeys(out, party).rotate(passphrase)
    _emit(summary)


@keys_app.command("rotate-oprf")
def keys_rotate_oprf(keys: KeysOpt, party: PartyOpt, passphrase_file: PassOpt = None) -> None:
    """Start a new OPRF key epoch (publish a fresh database afterwards)."""
    from ppmatch.exchange.keys import OprfEpochKeys

    _emit({"epoch": OprfEpochKeys(keys, party).rotate(_passphrase(keys, party, passphrase_file))})


@keys_app.command("fingerprint")
def keys_fingerprint(
    certificate: Annotated[Path, typer.Argument(help="PEM certificate.")],
) -> None:
    """SHA-256 fingerprint of a TLS certificate, as listed in agreements."""
    typer.echo(_fingerprint(certificate))


# ---- agreement -------------------------------------------------------------------------------


@agreement_app.command("init")
def agreement_init(
    party: Annotated[
        list[Path], typer.Option("--party", help="A party's NAME.public.toml (give two).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Agreement file to write.")] = Path(
        "agreement.toml"
    ),
    agreement_id: Annotated[str | None, typer.Option("--id", help="Agreement id.")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="Stated purpose.")] = None,
    valid_days: Annotated[int, typer.Option("--valid-days", help="Validity in days.")] = 365,
    suite: Annotated[str, typer.Option("--suite", help="OPRF suite.")] = "ristretto255-SHA512",
    threshold: Annotated[
        int | None, typer.Option("--threshold", help="Shares needed for disclosure.")
    ] = None,
    disclose: Annotated[
        list[str] | None, typer.Option("--disclose", help="Disclosed payload field (repeat).")
    ] = None,
    daily_budget: Annotated[
        int, typer.Option("--daily-budget", help="Tokens per querier per UTC day.")
    ] = 10_000_000,
    total_budget: Annotated[
        int, typer.Option("--total-budget", help="Tokens per querier in total.")
    ] = 1_000_000_000,
    retention_days: Annotated[int, typer.Option("--retention-days")] = 90,
    tls_cert: Annotated[
        list[str] | None,
        typer.Option("--tls-cert", help="NAME=CERT.pem: a certificate that party may present."),
    ] = None,
) -> None:
    """Write an unsigned agreement on the default linkage schema."""
    from ppmatch.errors import InputError
    from ppmatch.exchange.agreement import save_agreement
    from ppmatch.exchange.config import draft_agreement
    from ppmatch.exchange.keys import load_public_keys

    if len(party) != 2:
        raise InputError("agreement init needs exactly two --party public key files")
    fingerprints: dict[str, list[str]] = {}
    for item in tls_cert or []:
        name, sep, path = item.partition("=")
        if not sep:
            raise InputError(f"--tls-cert {item!r}: expected NAME=CERT.pem")
        fingerprints.setdefault(name, []).append(_fingerprint(Path(path)))
    options: dict[str, Any] = {"purpose": purpose} if purpose else {}
    draft = draft_agreement(
        [load_public_keys(p) for p in party],
        agreement_id=agreement_id,
        valid_days=valid_days,
        suite=suite,
        threshold=threshold,
        disclosed_fields=tuple(disclose) if disclose else None,
        daily_tokens=daily_budget,
        total_tokens=total_budget,
        retention_days=retention_days,
        tls_fingerprints=fingerprints,
        **options,
    )
    save_agreement(out, draft)
    _emit({"agreement": str(out), "id": draft.agreement.id, "hash": draft.agreement.hash().hex()})


@agreement_app.command("sign")
def agreement_sign(
    agreement: Annotated[Path, typer.Argument(help="Agreement file (signed in place).")],
    keys: KeysOpt,
    party: PartyOpt,
    passphrase_file: PassOpt = None,
) -> None:
    """Add this party's Ed25519 signature over the agreement's canonical hash."""
    from ppmatch.exchange.agreement import read_agreement, save_agreement
    from ppmatch.exchange.keys import load_party_keys

    keys_loaded = load_party_keys(keys, party, _passphrase(keys, party, passphrase_file))
    signed = read_agreement(agreement).sign(party, keys_loaded.signing)
    save_agreement(agreement, signed)
    _emit({"agreement": str(agreement), "signed_by": sorted(signed.signatures)})


@agreement_app.command("verify")
def agreement_verify(
    agreement: Annotated[Path, typer.Argument(help="Agreement file.")],
) -> None:
    """Check both signatures and the validity window; print the agreement hash."""
    from ppmatch.exchange.agreement import read_agreement

    signed = read_agreement(agreement)
    terms = signed.verify(source=str(agreement))
    _emit(
        {
            "id": terms.id,
            "hash": terms.hash().hex(),
            "parties": [p.name for p in terms.parties],
            "signed_by": sorted(signed.signatures),
            "valid_until": terms.valid_until.isoformat(),
            "status": "valid",
        }
    )


@agreement_app.command("schema")
def agreement_schema() -> None:
    """Print the JSON Schema of the [agreement] table (the linkage schema has its own)."""
    from ppmatch.exchange.agreement import Agreement

    typer.echo(json.dumps(Agreement.model_json_schema(), indent=2, sort_keys=True))


# ---- holder ----------------------------------------------------------------------------------


def _holder_state(state: Path | None, party: str) -> Path:
    return state or Path(f"{party}-holder-state")


StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state", help="Holder state directory (audit log, budget ledger, replay memory)."
    ),
]


@holder_app.command("publish")
def holder_publish(
    agreement: AgreementOpt,
    keys: KeysOpt,
    party: PartyOpt,
    records: Annotated[Path, typer.Option("--records", help="Conviction records (CSV/Parquet).")],
    out: Annotated[Path, typer.Option("--out", help="Database file to write.")],
    state: StateOpt = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a killed publish from its last chunk.")
    ] = False,
    chunk_rows: Annotated[
        int, typer.Option("--chunk-rows", help="Records per checkpointed chunk.")
    ] = 1000,
    workers: WorkersOpt = 1,
    passphrase_file: PassOpt = None,
) -> None:
    """Publish the signed holder database (checkpointed; atomic on completion)."""
    from dataclasses import asdict

    from ppmatch.exchange.holder_side import publish_database

    role = _role(agreement, keys, party, passphrase_file)
    state_dir = _holder_state(state, party)
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with phase_progress() as progress:
        summary = publish_database(
            role,
            records,
            out,
            work_dir=state_dir / f"publish-{out.name}.work",
            resume=resume,
            chunk_rows=chunk_rows,
            workers=workers,
            on_progress=lambda done: progress("publishing", done),
        )
    audit = role.audit_log(state_dir / "audit.jsonl")
    audit.append("publish", **asdict(summary))
    audit.checkpoint()
    _emit({"database": str(out), **asdict(summary)})


@holder_app.command("delta")
def holder_delta(
    agreement: AgreementOpt,
    keys: KeysOpt,
    party: PartyOpt,
    database: Annotated[Path, typer.Option("--database", help="Current database version.")],
    out: Annotated[Path, typer.Option("--out", help="Delta file for the querier.")],
    database_out: Annotated[
        Path, typer.Option("--database-out", help="The holder's next database version.")
    ],
    add: Annotated[
        Path | None, typer.Option("--add", help="New conviction records (CSV/Parquet).")
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Record id to tombstone (repeat).")
    ] = None,
    remove_file: Annotated[
        Path | None, typer.Option("--remove-file", help="File of record ids, one per line.")
    ] = None,
    state: StateOpt = None,
    workers: WorkersOpt = 1,
    passphrase_file: PassOpt = None,
) -> None:
    """Add records and tombstone expunged ones: a signed delta plus the next database version."""
    from dataclasses import asdict

    from ppmatch.errors import InputError
    from ppmatch.exchange.holder_side import publish_delta

    removed = list(remove or [])
    if remove_file is not None:
        try:
            lines = remove_file.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise InputError(f"{remove_file}: cannot read ({error.strerror})") from error
        removed += [line.strip() for line in lines if line.strip()]
    role = _role(agreement, keys, party, passphrase_file)
    summary = publish_delta(
        role, database, out, database_out, add=add, remove=removed, workers=workers
    )
    state_dir = _holder_state(state, party)
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    audit = role.audit_log(state_dir / "audit.jsonl")
    audit.append("publish", delta=True, **asdict(summary))
    audit.checkpoint()
    _emit({"delta": str(out), "database": str(database_out), **asdict(summary)})


@holder_app.command("evaluate")
def holder_evaluate(
    agreement: AgreementOpt,
    keys: KeysOpt,
    party: PartyOpt,
    request: Annotated[Path, typer.Option("--request", help="Request bundle from the querier.")],
    out: Annotated[Path, typer.Option("--out", help="Response bundle to write.")],
    state: StateOpt = None,
    workers: WorkersOpt = 1,
    passphrase_file: PassOpt = None,
) -> None:
    """Evaluate a querier's request bundle (checked, budgeted, audited) into a response bundle."""
    from ppmatch.exchange.atomic import atomic_write_bytes
    from ppmatch.exchange.container import MessageType, read_container
    from ppmatch.exchange.holder_side import HolderService, Peer

    role = _role(agreement, keys, party, passphrase_file)
    service = HolderService(role, _holder_state(state, party), workers=workers)
    data = read_container(request, MessageType.EVALUATION_REQUEST)
    try:
        response = service.evaluate(data, peer=Peer(role.partner.name, "file"), source=str(request))
    finally:
        service.close()
    atomic_write_bytes(out, response)
    _emit({"response": str(out), "bytes": len(response)})


@holder_app.command("serve")
def holder_serve(
    agreement: AgreementOpt,
    keys: KeysOpt,
    party: PartyOpt,
    database: Annotated[Path, typer.Option("--database", help="Published database to serve.")],
    tls_cert: Annotated[Path, typer.Option("--tls-cert", help="Server certificate (PEM).")],
    tls_key: Annotated[Path, typer.Option("--tls-key", help="Server private key (PEM).")],
    client_ca: Annotated[
        Path, typer.Option("--client-ca", help="CA of the partner's client certificates.")
    ],
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="0 picks a free port.")] = 8443,
    port_file: Annotated[
        Path | None, typer.Option("--port-file", help="Write the bound port here.")
    ] = None,
    state: StateOpt = None,
    workers: WorkersOpt = 1,
    passphrase_file: PassOpt = None,
) -> None:
    """Serve evaluations over HTTPS with mutual TLS (docs at /docs, /openapi.json)."""
    from ppmatch.errors import ProtocolError
    from ppmatch.exchange.holder_side import HolderService, load_database
    from ppmatch.transport.service import serve

    role = _role(agreement, keys, party, passphrase_file)
    served = load_database(role, database, holder_name=party)  # refuse foreign or damaged files
    service = HolderService(
        role, _holder_state(state, party), workers=workers, epoch=served.header.epoch
    )
    if served.public_key != service.holder.public_key:
        raise ProtocolError(
            f"{database}: not published with this holder's epoch-{service.epoch} key"
        )

    def ready(bound: int) -> None:
        typer.echo(f"serving https://{host}:{bound} (agreement {role.agreement.id})", err=True)

    try:
        serve(
            service,
            database,
            host=host,
            port=port,
            certificate=tls_cert,
            private_key=tls_key,
            client_ca=client_ca,
            key_password=role.passphrase,
            port_file=port_file,
            on_ready=ready,
        )
    finally:
        service.close()


# ---- querier ---------------------------------------------------------------------------------

WorkOpt = Annotated[
    Path | None,
    typer.Option("--work", help="Querier work directory (sealed query state, audit log)."),
]


MatchesOutOpt = Annotated[Path, typer.Option("--out", help="Matches CSV to write.")]
TravelersOpt = Annotated[Path, typer.Option("--travelers", help="Traveler records (CSV/Parquet).")]
PublishedOpt = Annotated[Path, typer.Option("--database", help="The holder's published database.")]


def _querier_side(
    agreement: Path,
    keys: Path,
    party: str,
    passphrase_file: Path | None,
    work: Path | None,
    workers: int,
):
    """The querier's role, work directory (created private) and side for one command."""
    from ppmatch.exchange.querier_side import QuerierSide

    role = _role(agreement, keys, party, passphrase_file)
    work_dir = work or Path(f"{party}-query")
    work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return role, work_dir, QuerierSide(role, work_dir / "audit.jsonl", workers=workers)


@query_app.command("prepare")
def query_prepare(
    agreement: AgreementOpt,
    keys: KeysOpt,
    party: PartyOpt,
    travelers: TravelersOpt,
    database: PublishedOpt,
    out: Annotated[Path, typer.Option("--out", help="Request bundle to send to the holder.")],
    work: WorkOpt = None,
    workers: WorkersOpt = 1,
    passphrase_file: PassOpt = None,
) -> None:
    """Blind the travelers' tokens into a signed request bundle (secrets stay in --work)."""
    from dataclasses import asdict

    _, work_dir, side = _querier_side(agreement, keys, party, passphrase_file, work, workers)
    _emit({"request": str(out), **asdict(side.prepare(travelers, database, out, work_dir))})


@query_app.command("finish")
def query_finish(
    agreement: AgreementOpt,
    keys: KeysOpt,
    party: PartyOpt,
    response: Annotated[Path, typer.Option("--response", help="Response bundle from the holder.")],
    database: PublishedOpt,
    out: MatchesOutOpt,
    work: WorkOpt = None,
    workers: WorkersOpt = 1,
    passphrase_file: PassOpt = None,
) -> None:
    """Verify the holder's response and write the matches (payloads only past the threshold)."""
    from dataclasses import asdict

    _, work_dir, side = _querier_side(agreement, keys, party, passphrase_file, work, workers)
    _emit({"matches_file": str(out), **asdict(side.finish(response, work_dir, database, out))})


@query_app.command("apply-delta")
def query_apply_delta(
    agreement: AgreementOpt,
    keys: KeysOpt,
    party: PartyOpt,
    database: Annotated[Path, typer.Option("--database", help="Current database copy.")],
    delta: Annotated[Path, typer.Option("--delta", help="Delta file from the holder.")],
    out: Annotated[Path, typer.Option("--out", help="Next database version to write.")],
    passphrase_file: PassOpt = None,
) -> None:
    """Apply the holder's delta (expunged records disappear); the result must verify."""
    from ppmatch.exchange.querier_side import apply_delta

    role = _role(agreement, keys, party, passphrase_file)
    _emit({"database": str(out), **apply_delta(role, database, delta, out)})


@query_app.command("run")
def query_run(
    agreement: AgreementOpt,
    keys: KeysOpt,
    party: PartyOpt,
    server: Annotated[str, typer.Option("--server", help="Holder service URL (https://...).")],
    travelers: TravelersOpt,
    out: MatchesOutOpt,
    tls_cert: Annotated[Path, typer.Option("--tls-cert", help="Client certificate (PEM).")],
    tls_key: Annotated[Path, typer.Option("--tls-key", help="Client private key (PEM).")],
    server_ca: Annotated[Path, typer.Option("--server-ca", help="CA of the holder's server.")],
    work: WorkOpt = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run.")] = False,
    batch_rows: Annotated[
        int,
        typer.Option("--batch-rows", help="Travelers per request (0 = all in one request)."),
    ] = 0,
    retries: Annotated[int, typer.Option("--retries", help="Retries per HTTP call.")] = 4,
    workers: WorkersOpt = 1,
    passphrase_file: PassOpt = None,
) -> None:
    """Prepare, evaluate over mutual-TLS HTTPS, and finish in one command (resumable)."""
    from dataclasses import asdict

    from ppmatch.transport.client import HolderClient, client_ssl_context
    from ppmatch.transport.online import run_online_query

    role, work_dir, side = _querier_side(agreement, keys, party, passphrase_file, work, workers)
    context = client_ssl_context(tls_cert, tls_key, server_ca, key_password=role.passphrase)
    with HolderClient(
        server, context, server_fingerprints=role.partner.tls_fingerprints, retries=retries
    ) as client:
        summary = run_online_query(
            side, client, travelers, work_dir, out, resume=resume, batch_rows=batch_rows
        )
    _emit({"matches_file": str(out), **asdict(summary)})


# ---- audit -----------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(
    log: Annotated[Path, typer.Argument(help="Audit log (JSON lines).")],
    agreement: Annotated[
        Path | None, typer.Option("--agreement", help="Take the signer key from this agreement.")
    ] = None,
    party: Annotated[
        str | None, typer.Option("--party", help="With --agreement: whose log it is.")
    ] = None,
    public_keys: Annotated[
        Path | None, typer.Option("--public-keys", help="Or: the signer's NAME.public.toml.")
    ] = None,
    expected_head: Annotated[
        str | None, typer.Option("--expected-head", help="Head hash recorded elsewhere.")
    ] = None,
) -> None:
    """Check the hash chain and signed checkpoints; any edit, deletion or reordering fails."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from ppmatch.errors import InputError
    from ppmatch.exchange.agreement import read_agreement
    from ppmatch.exchange.audit import verify_log
    from ppmatch.exchange.keys import load_public_keys

    if public_keys is not None:
        signer_hex = load_public_keys(public_keys).signing_key
    elif agreement is not None and party is not None:
        signer_hex = read_agreement(agreement).agreement.party(party).signing_key
    else:
        raise InputError("audit verify needs --public-keys FILE or --agreement FILE --party NAME")
    report = verify_log(
        log,
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(signer_hex)),
        expected_head=expected_head,
    )
    _emit({"log": str(log), "status": "intact", **report.__dict__})
