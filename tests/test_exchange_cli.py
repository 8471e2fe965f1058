"""The exchange commands as a user types them: the happy path and every refusal.

Each refusal must be one clear line on stderr, a non-zero exit code, no traceback, and no
output file left behind. Commands run in-process through the same ``main()`` as the console
script (fast); the kill test runs a real process and SIGKILLs it.
"""

import csv
import json
import multiprocessing
import os
import signal
import stat
import sys
import time
from pathlib import Path

import pytest
from test_exchange_helpers import request_elements, setup_two_agencies, write_datasets

from ppmatch.cli.main import main

DAILY = request_elements() * 5 // 2


def cli(capsys, *args):
    """Run ``ppmatch ARGS`` in-process; returns (exit code, stdout, stderr)."""
    saved = sys.argv
    sys.argv = ["ppmatch", *map(str, args)]
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    finally:
        sys.argv = saved
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(capsys, expected_code, message, *args, output=None):
    code, out, err = cli(capsys, *args)
    assert code == expected_code, (code, out, err)
    assert message in err and err.startswith("error:") and "Traceback" not in err
    if output is not None:
        assert not Path(output).exists()
        assert not list(Path(output).parent.glob(f".{Path(output).name}*"))  # no temp left
    return err


@pytest.fixture(scope="module")
def exchange(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    setup = setup_two_agencies(root, daily_tokens=DAILY)
    return setup


def holder_args(setup, *extra):
    return ["--agreement", setup.agreement, "--keys", setup.alpha_keys, "--party", "alpha", *extra]


def querier_args(setup, *extra):
    return ["--agreement", setup.agreement, "--keys", setup.beta_keys, "--party", "beta", *extra]


def test_four_offline_commands_and_every_refusal(exchange, capsys, tmp_path):
    s = exchange
    db, req, resp = tmp_path / "alpha.ppmdb", tmp_path / "req.ppm", tmp_path / "resp.ppm"
    state, work = tmp_path / "alpha-state", tmp_path / "beta-work"
    assert (
        cli(
            capsys,
            "holder",
            "publish",
            *holder_args(s, "--records", s.felons, "--out", db, "--state", state),
        )[0]
        == 0
    )
    assert (
        cli(
            capsys,
            "query",
            "prepare",
            *querier_args(
                s, "--travelers", s.travelers, "--database", db, "--out", req, "--work", work
            ),
        )[0]
        == 0
    )

    # truncated, corrupted and oversized requests
    truncated = tmp_path / "truncated.ppm"
    truncated.write_bytes(req.read_bytes()[:-100])
    refused(
        capsys,
        5,
        "truncated or padded",
        "holder",
        "evaluate",
        *holder_args(s, "--request", truncated, "--out", resp, "--state", state),
        output=resp,
    )
    corrupted = tmp_path / "corrupted.ppm"
    data = bytearray(req.read_bytes())
    data[300] ^= 0x01
    corrupted.write_bytes(bytes(data))
    refused(
        capsys,
        5,
        "signature invalid",
        "holder",
        "evaluate",
        *holder_args(s, "--request", corrupted, "--out", resp, "--state", state),
        output=resp,
    )
    oversized = tmp_path / "oversized.ppm"
    with open(oversized, "wb") as handle:  # sparse: costs no disk
        handle.write(req.read_bytes()[:16])
        handle.truncate((1 << 30) + 1)
    refused(
        capsys,
        4,
        "exceeds the EVALUATION_REQUEST cap",
        "holder",
        "evaluate",
        *holder_args(s, "--request", oversized, "--out", resp, "--state", state),
        output=resp,
    )

    # the genuine request works once; its replay is refused
    code, out, err = cli(
        capsys,
        "holder",
        "evaluate",
        *holder_args(s, "--request", req, "--out", resp, "--state", state),
    )
    assert code == 0, err
    refused(
        capsys,
        4,
        "replayed message",
        "holder",
        "evaluate",
        *holder_args(s, "--request", req, "--out", tmp_path / "again.ppm", "--state", state),
        output=tmp_path / "again.ppm",
    )

    matches = tmp_path / "matches.csv"
    code, out, err = cli(
        capsys,
        "query",
        "finish",
        *querier_args(s, "--response", resp, "--database", db, "--out", matches, "--work", work),
    )
    assert code == 0, err
    assert json.loads(out)["matches"] == len(s.truth)
    refused(
        capsys,
        4,
        "already finished",
        "query",
        "finish",
        *querier_args(
            s, "--response", resp, "--database", db, "--out", tmp_path / "m2.csv", "--work", work
        ),
        output=tmp_path / "m2.csv",
    )

    # budget: one request used of two and a half a day; the second fits, the third does not
    for i in (2, 3):
        cli(
            capsys,
            "query",
            "prepare",
            *querier_args(
                s,
                "--travelers",
                s.travelers,
                "--database",
                db,
                "--out",
                tmp_path / f"req{i}.ppm",
                "--work",
                work,
            ),
        )
    assert (
        cli(
            capsys,
            "holder",
            "evaluate",
            *holder_args(
                s,
                "--request",
                tmp_path / "req2.ppm",
                "--out",
                tmp_path / "resp2.ppm",
                "--state",
                state,
            ),
        )[0]
        == 0
    )
    refused(
        capsys,
        6,
        f"daily budget of {DAILY} tokens",
        "holder",
        "evaluate",
        *holder_args(
            s, "--request", tmp_path / "req3.ppm", "--out", tmp_path / "resp3.ppm", "--state", state
        ),
        output=tmp_path / "resp3.ppm",
    )

    # tampered database
    tampered = tmp_path / "tampered.ppmdb"
    data = bytearray(db.read_bytes())
    data[len(data) // 3] ^= 0x10
    tampered.write_bytes(bytes(data))
    refused(
        capsys,
        5,
        "",
        "query",
        "prepare",
        *querier_args(
            s,
            "--travelers",
            s.travelers,
            "--database",
            tampered,
            "--out",
            tmp_path / "r.ppm",
            "--work",
            work,
        ),
        output=tmp_path / "r.ppm",
    )

    # the audit log is intact and records the refusals it saw (the oversized file was never
    # read), without traveler identities
    code, out, err = cli(
        capsys,
        "audit",
        "verify",
        state / "audit.jsonl",
        "--agreement",
        s.agreement,
        "--party",
        "alpha",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["events"]["refusal"] == 4 and report["events"]["evaluate"] == 2
    log_text = (state / "audit.jsonl").read_text()
    assert "T0000" not in log_text and "Mohammed" not in log_text
    lines = (state / "audit.jsonl").read_text().splitlines(keepends=True)
    (state / "audit.jsonl").write_text("".join(lines[:3] + lines[4:]))
    refused(
        capsys,
        5,
        "deleted or moved",
        "audit",
        "verify",
        state / "audit.jsonl",
        "--agreement",
        s.agreement,
        "--party",
        "alpha",
    )


def test_wrong_agreement_expired_agreement_and_wrong_passphrase(tmp_path, capsys):
    first = setup_two_agencies(tmp_path / "first", passphrase=b"right horse")
    other = setup_two_agencies(tmp_path / "other")
    os.environ["PPMATCH_KEY_PASSPHRASE"] = "wrong horse"
    try:
        refused(
            capsys,
            3,
            "wrong passphrase",
            "holder",
            "publish",
            *holder_args(
                first,
                "--records",
                first.felons,
                "--out",
                tmp_path / "db",
                "--state",
                tmp_path / "st",
            ),
            output=tmp_path / "db",
        )
    finally:
        del os.environ["PPMATCH_KEY_PASSPHRASE"]
    # a request made under another agreement is refused by this agreement's holder
    db, req = tmp_path / "other.ppmdb", tmp_path / "req.ppm"
    cli(
        capsys,
        "holder",
        "publish",
        *holder_args(other, "--records", other.felons, "--out", db, "--state", tmp_path / "ost"),
    )
    cli(
        capsys,
        "query",
        "prepare",
        *querier_args(
            other,
            "--travelers",
            other.travelers,
            "--database",
            db,
            "--out",
            req,
            "--work",
            tmp_path / "ow",
        ),
    )
    passfile = tmp_path / "pass"
    passfile.write_text("right horse\n")
    refused(
        capsys,
        3,
        "not this agreement",
        "holder",
        "evaluate",
        *holder_args(
            first,
            "--request",
            req,
            "--out",
            tmp_path / "resp.ppm",
            "--state",
            tmp_path / "st",
            "--passphrase-file",
            passfile,
        ),
        output=tmp_path / "resp.ppm",
    )
    # an expired agreement is refused before anything is read
    from datetime import UTC, datetime, timedelta

    expired = setup_two_agencies(
        tmp_path / "expired", valid_from=datetime.now(UTC) - timedelta(days=20), valid_days=10
    )
    refused(
        capsys,
        3,
        "expired on",
        "holder",
        "publish",
        *holder_args(expired, "--records", expired.felons, "--out", tmp_path / "x.ppmdb"),
        output=tmp_path / "x.ppmdb",
    )
    refused(capsys, 3, "expired on", "agreement", "verify", expired.agreement)


def test_killed_publish_resumes_to_the_same_database(tmp_path, capsys):
    setup = setup_two_agencies(tmp_path / "agencies")
    felons, travelers, _ = write_datasets(tmp_path, felons=120, travelers=2, overlap=1)
    state, out, reference = (
        tmp_path / "state",
        tmp_path / "alpha.ppmdb",
        tmp_path / "reference.ppmdb",
    )
    args = holder_args(setup, "--records", felons, "--state", state, "--chunk-rows", "6")
    work = state / f"publish-{out.name}.work"
    # A forked child runs the same main() as the console script (no interpreter start-up cost)
    # and is SIGKILLed mid-way: no cleanup handler of any kind gets to run.
    process = multiprocessing.get_context("fork").Process(
        target=run_main, args=(["holder", "publish", *map(str, args), "--out", str(out)],)
    )
    process.start()
    deadline = time.monotonic() + 60
    while True:  # kill once a few chunks are checkpointed, well before all 20 are done
        manifest = work / "manifest.json"
        if manifest.exists() and len(json.loads(manifest.read_text())["chunks"]) >= 2:
            break
        assert process.is_alive(), "publish finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    assert process.exitcode == -signal.SIGKILL
    manifest_text = (work / "manifest.json").read_text()
    done_at_kill = len(json.loads(manifest_text)["chunks"])
    assert not out.exists(), "a killed publish must not leave a database behind"
    # the run's secret seed sits alone in a private file, never in the manifest
    seed_file = work / "seed"
    assert stat.S_IMODE(seed_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(work.stat().st_mode) == 0o700
    seed = seed_file.read_bytes()
    assert len(seed) == 32 and seed.hex() not in manifest_text
    refused(capsys, 2, "--resume", "holder", "publish", *args, "--out", out, output=out)

    code, stdout, err = cli(capsys, "holder", "publish", *args, "--out", out, "--resume")
    assert code == 0, err
    assert seed.hex() not in stdout + err
    summary = json.loads(stdout)
    assert summary["resumed_chunks"] >= done_at_kill >= 2 and summary["chunks"] == 20
    assert not work.exists(), "the checkpoint (and its seed) must be deleted on completion"
    # An uninterrupted publish of the same records under the same keys and seed (through the
    # protocol layer, in one go, other chunking) is byte-identical to the killed-and-resumed one.
    uninterrupted_publish(setup, felons, reference, seed)
    assert out.read_bytes() == reference.read_bytes()
    # a fresh run draws a fresh seed: same entries, other ciphertexts
    code, stdout, err = cli(capsys, "holder", "publish", *args, "--out", tmp_path / "fresh.ppmdb")
    assert code == 0, err
    assert (tmp_path / "fresh.ppmdb").read_bytes() != out.read_bytes()
    assert_database_matches(out, setup, travelers, tmp_path)


def run_main(argv):
    sys.argv = ["ppmatch", *argv]
    main()


def uninterrupted_publish(setup, felons, out, seed):
    from ppmatch.exchange.config import screening_config
    from ppmatch.exchange.roles import load_role
    from ppmatch.protocols import Holder

    role = load_role(setup.agreement, setup.alpha_keys, "alpha", None)
    epoch, oprf_key = role.oprf_key()
    config = screening_config(role.agreement, role.keys, epoch=epoch)
    holder = Holder(config, oprf_key=oprf_key, signing_key=role.keys.signing, workers=1)
    holder.publish(felons, out=out, publish_seed=seed)


def assert_database_matches(database, setup, travelers, tmp_path):
    """A query against the (seeded, resumed) database finds the true match with its payload."""
    from ppmatch.exchange.holder_side import HolderService, Peer
    from ppmatch.exchange.querier_side import QuerierSide
    from ppmatch.exchange.roles import load_role

    holder = HolderService(
        load_role(setup.agreement, setup.alpha_keys, "alpha", None), tmp_path / "compare"
    )
    side = QuerierSide(load_role(setup.agreement, setup.beta_keys, "beta", None), tmp_path / "a")
    request, response = tmp_path / "q.ppm", tmp_path / "r.ppm"
    side.prepare(travelers, database, request, tmp_path / "q")
    response.write_bytes(
        holder.evaluate(request.read_bytes(), peer=Peer("beta", "file"), source="q")
    )
    side.finish(response, tmp_path / "q", database, tmp_path / "m.csv")
    assert "F0000" in (tmp_path / "m.csv").read_text()


def test_delta_expunges_a_record_from_the_querier_copy(tmp_path, capsys):
    s = setup_two_agencies(tmp_path / "agencies")
    db, db2, delta = tmp_path / "v0.ppmdb", tmp_path / "v1-holder.ppmdb", tmp_path / "d.ppmdelta"
    state = tmp_path / "state"
    assert cli(capsys, "holder", "publish", *holder_args(s, "--records", s.felons, "--out", db, "--state", state))[0] == 0  # fmt: skip
    code, out, err = cli(
        capsys, "holder", "delta",
        *holder_args(s, "--database", db, "--out", delta, "--database-out", db2, "--remove", "F0000", "--state", state),
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["removed"] == 1 and json.loads(out)["version"] == 1
    querier_copy = tmp_path / "v1-querier.ppmdb"
    code, out, err = cli(
        capsys, "query", "apply-delta",
        *querier_args(s, "--database", db, "--delta", delta, "--out", querier_copy),
    )  # fmt: skip
    assert code == 0, err
    assert querier_copy.read_bytes() == db2.read_bytes()  # both copies are the same version

    work = tmp_path / "work"
    cli(capsys, "query", "prepare", *querier_args(s, "--travelers", s.travelers, "--database", querier_copy, "--out", tmp_path / "r.ppm", "--work", work))  # fmt: skip
    cli(capsys, "holder", "evaluate", *holder_args(s, "--request", tmp_path / "r.ppm", "--out", tmp_path / "a.ppm", "--state", state))  # fmt: skip
    code, out, err = cli(capsys, "query", "finish", *querier_args(s, "--response", tmp_path / "a.ppm", "--database", querier_copy, "--out", tmp_path / "m.csv", "--work", work))  # fmt: skip
    assert code == 0, err
    with open(tmp_path / "m.csv", encoding="utf-8") as handle:
        matched = {
            row["holder_record_id"] for row in csv.DictReader(handle) if row["decision"] == "match"
        }
    assert matched == {felon for _, felon in s.truth} - {"F0000"}

    # a delta applied to the wrong base version is refused, nothing written
    refused(capsys, 4, "apply the deltas in order", "query", "apply-delta", *querier_args(s, "--database", querier_copy, "--delta", delta, "--out", tmp_path / "v2.ppmdb"), output=tmp_path / "v2.ppmdb")  # fmt: skip
