"""End to end over mutual TLS: the holder service in one process, the querier in another."""

import csv
import json
import multiprocessing
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pki import build_test_pki
from test_exchange_cli import cli, run_main
from test_exchange_helpers import request_elements, setup_two_agencies

from ppmatch.exchange.holder_side import HolderService, Peer, publish_database
from ppmatch.exchange.querier_side import QuerierSide
from ppmatch.exchange.roles import load_role

# The console script (``python -m ppmatch.cli.main`` would load the CLI module twice).
CLI = [str(Path(sys.executable).parent / "ppmatch")]
ELEMENTS = request_elements()
DAILY = ELEMENTS * 9 // 2


def run_cli(*args, cwd):
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


@pytest.fixture(scope="module")
def online(tmp_path_factory):
    root = tmp_path_factory.mktemp("online")
    pki = build_test_pki(root / "pki")
    setup = setup_two_agencies(
        root / "agencies",
        tls_fingerprints={
            "alpha": [pki.holder_server.fingerprint],
            "beta": [pki.querier_client.fingerprint],
        },
        daily_tokens=DAILY,  # four 16-traveler queries fit, a fifth does not
    )
    holder = load_role(setup.agreement, setup.alpha_keys, "alpha", None)
    database = root / "alpha.ppmdb"
    publish_database(holder, setup.felons, database, work_dir=root / "publish-work", resume=False)
    port_file = root / "port"
    server = subprocess.Popen(
        [
            *CLI, "holder", "serve", "--agreement", setup.agreement, "--keys", setup.alpha_keys,
            "--party", "alpha", "--database", database, "--state", root / "alpha-state",
            "--tls-cert", pki.holder_server.certificate, "--tls-key", pki.holder_server.key,
            "--client-ca", pki.querier_ca.path, "--port", "0", "--port-file", port_file,
        ],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90  # generous: start-up imports are slow on a loaded machine
    while not port_file.exists():
        assert server.poll() is None, server.stderr.read()
        assert time.monotonic() < deadline, "holder service did not start"
        time.sleep(0.05)
    url = f"https://127.0.0.1:{port_file.read_text()}"
    yield root, pki, setup, database, url
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def query_run(root, pki, setup, url, work, out):
    cert = pki.querier_client
    return run_cli(
        "query", "run", "--agreement", setup.agreement, "--keys", setup.beta_keys, "--party", "beta",
        "--server", url, "--travelers", setup.travelers, "--out", out, "--work", work,
        "--tls-cert", cert.certificate, "--tls-key", cert.key, "--server-ca", pki.holder_ca.path,
        "--retries", "1", cwd=root,
    )  # fmt: skip


def test_online_query_matches_offline_and_audit_names_the_peer(online, tmp_path):
    root, pki, setup, database, url = online
    result = query_run(root, pki, setup, url, tmp_path / "work", tmp_path / "online.csv")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["matches"] == len(setup.truth)

    # the same screening through the offline API gives the identical matches file
    holder = load_role(setup.agreement, setup.alpha_keys, "alpha", None)
    querier = load_role(setup.agreement, setup.beta_keys, "beta", None)
    side = QuerierSide(querier, tmp_path / "offline-audit.jsonl")
    side.prepare(setup.travelers, database, tmp_path / "req.ppm", tmp_path / "offline")
    service = HolderService(holder, tmp_path / "offline-holder-state")
    (tmp_path / "resp.ppm").write_bytes(
        service.evaluate(
            (tmp_path / "req.ppm").read_bytes(), peer=Peer("beta", "file"), source="req"
        )
    )
    side.finish(tmp_path / "resp.ppm", tmp_path / "offline", database, tmp_path / "offline.csv")
    assert (tmp_path / "online.csv").read_text() == (tmp_path / "offline.csv").read_text()

    audit = [
        json.loads(line) for line in (root / "alpha-state" / "audit.jsonl").read_text().splitlines()
    ]
    evaluations = [e["data"] for e in audit if e["event"] == "evaluate"]
    assert evaluations[-1]["peer_cert_sha256"] == pki.querier_client.fingerprint
    assert "CN=beta-client" in evaluations[-1]["peer_cert_subject"]
    assert evaluations[-1]["channel"] == "https" and evaluations[-1]["elements"] == ELEMENTS


def tls_client(pki, issued):
    context = ssl.create_default_context(cafile=str(pki.holder_ca.path))
    if issued is not None:
        context.load_cert_chain(issued.certificate, issued.key)
    return httpx.Client(verify=context, timeout=10)


@pytest.mark.parametrize("who", [None, "rogue_client"], ids=["no-certificate", "other-ca"])
def test_clients_without_a_partner_certificate_cannot_connect(online, who):
    root, pki, setup, database, url = online
    with (
        tls_client(pki, getattr(pki, who) if who else None) as http,
        pytest.raises(httpx.TransportError),
    ):
        http.get(f"{url}/v1/info")


def test_certificate_of_the_wrong_party_is_refused(online, tmp_path, capsys):
    root, pki, setup, database, url = online
    with tls_client(pki, pki.other_client) as http:
        response = http.get(f"{url}/v1/info")
    assert response.status_code == 403
    assert "not listed for party 'beta'" in response.json()["message"]
    code, _, err = cli(
        capsys,
        "query", "run", "--agreement", setup.agreement, "--keys", setup.beta_keys,
        "--party", "beta", "--server", url, "--travelers", setup.travelers,
        "--out", tmp_path / "m.csv", "--work", tmp_path / "w",
        "--tls-cert", pki.other_client.certificate, "--tls-key", pki.other_client.key,
        "--server-ca", pki.holder_ca.path,
    )  # fmt: skip
    assert code == 3 and "not listed for party" in err
    assert "Traceback" not in err and not (tmp_path / "m.csv").exists()
    with tls_client(pki, pki.querier_client) as http:
        assert http.get(f"{url}/openapi.json").json()["paths"]["/v1/evaluate"]["post"]


def test_interrupted_online_query_resumes_without_a_second_charge(online, tmp_path, capsys):
    from ppmatch.transport.client import HolderClient, TransportError, client_ssl_context
    from ppmatch.transport.online import run_online_query

    root, pki, setup, database, url = online
    querier = load_role(setup.agreement, setup.beta_keys, "beta", None)
    side = QuerierSide(querier, tmp_path / "audit.jsonl")
    context = client_ssl_context(
        pki.querier_client.certificate, pki.querier_client.key, pki.holder_ca.path
    )
    work, out = tmp_path / "work", tmp_path / "matches.csv"

    class AnswerLost(HolderClient):
        def evaluate(self, request_container):
            super().evaluate(request_container)  # the holder evaluates and charges...
            raise TransportError("connection reset")  # ...but the answer never arrives

    with AnswerLost(url, context, retries=0) as client, pytest.raises(TransportError):
        run_online_query(side, client, setup.travelers, work, out, resume=False)
    with tls_client(pki, pki.querier_client) as http:
        charged = http.get(f"{url}/v1/budget").json()["used_today"]
    assert not out.exists()
    with HolderClient(url, context) as client:
        with pytest.raises(Exception, match="--resume"):
            run_online_query(side, client, setup.travelers, work, out, resume=False)
        summary = run_online_query(side, client, setup.travelers, work, out, resume=True)
    assert summary.matches == len(setup.truth)
    with tls_client(pki, pki.querier_client) as http:
        assert http.get(f"{url}/v1/budget").json()["used_today"] == charged


def test_unreachable_server_is_a_clear_error(online, tmp_path, capsys):
    root, pki, setup, database, url = online
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    closed_port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    code, _, err = cli(
        capsys,
        "query", "run", "--agreement", setup.agreement, "--keys", setup.beta_keys,
        "--party", "beta", "--server", f"https://127.0.0.1:{closed_port}", "--travelers", setup.travelers,
        "--out", tmp_path / "m.csv", "--work", tmp_path / "w", "--retries", "1",
        "--tls-cert", pki.querier_client.certificate, "--tls-key", pki.querier_client.key,
        "--server-ca", pki.holder_ca.path,
    )  # fmt: skip
    assert code == 7 and "no usable answer after 2 attempts" in err and "Traceback" not in err


def test_killed_batched_query_resumes_from_its_last_completed_batch(online, tmp_path, capsys):
    """``query run --batch-rows 4`` is SIGKILLed after its first batch; ``--resume`` finishes
    the other batches only and gives the same matches as one unbatched run."""
    root, pki, setup, database, url = online
    work, out = tmp_path / "work", tmp_path / "batched.csv"
    args = [
        "query", "run", "--agreement", setup.agreement, "--keys", setup.beta_keys,
        "--party", "beta", "--server", url, "--travelers", setup.travelers, "--out", out,
        "--work", work, "--batch-rows", "4", "--tls-cert", pki.querier_client.certificate,
        "--tls-key", pki.querier_client.key, "--server-ca", pki.holder_ca.path,
    ]  # fmt: skip
    process = multiprocessing.get_context("fork").Process(
        target=run_main, args=([*map(str, args)],)
    )
    process.start()
    deadline = time.monotonic() + 60
    progress = work / "progress.json"
    while not (progress.exists() and "finish-0" in json.loads(progress.read_text())["done"]):
        assert process.is_alive(), "the batched run finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    done_at_kill = set(json.loads(progress.read_text())["done"])
    assert "finish-3" not in done_at_kill and not out.exists()
    with tls_client(pki, pki.querier_client) as http:
        charged = http.get(f"{url}/v1/budget").json()["used_today"]
    code, stdout, err = cli(capsys, *args, "--resume")
    assert code == 0, err
    assert json.loads(stdout)["records"] == 16
    done = json.loads(progress.read_text())["done"]
    assert [step for step in done if step.startswith("prepare")] == [
        f"prepare-{i}" for i in range(4)
    ]
    with open(out, encoding="utf-8") as handle:
        found = {
            (r["querier_record_id"], r["holder_record_id"])
            for r in csv.DictReader(handle)
            if r["decision"] == "match"
        }
    assert found == setup.truth
    with tls_client(pki, pki.querier_client) as http:
        used = http.get(f"{url}/v1/budget").json()["used_today"]
    remaining = sum(f"evaluate-{i}" not in done_at_kill for i in range(4))
    assert used - charged == remaining * 4 * (ELEMENTS // 16)  # completed batches not recharged


# Last: it uses up the day's budget.
def test_budget_exceeded_online_is_a_429_and_retries_are_free(online, tmp_path):
    root, pki, setup, database, url = online
    querier = load_role(setup.agreement, setup.beta_keys, "beta", None)
    side = QuerierSide(querier, tmp_path / "audit.jsonl")
    requests = []
    for i in range(3):
        side.prepare(setup.travelers, database, tmp_path / f"r{i}.ppm", tmp_path / "state")
        requests.append((tmp_path / f"r{i}.ppm").read_bytes())
    with tls_client(pki, pki.querier_client) as http:
        used = http.get(f"{url}/v1/budget").json()["used_today"]
        statuses = [http.post(f"{url}/v1/evaluate", content=r) for r in requests]
        # a byte-identical resend (lost answer) gets the stored response without a new charge
        first_ok = next(i for i, r in enumerate(statuses) if r.status_code == 200)
        resent = http.post(f"{url}/v1/evaluate", content=requests[first_ok])
        after = http.get(f"{url}/v1/budget").json()["used_today"]
    codes = [r.status_code for r in statuses]
    allowed = (DAILY - used) // ELEMENTS
    assert allowed >= 1
    assert codes == [200] * allowed + [429] * (3 - allowed)
    refusal = statuses[-1]
    assert refusal.headers["x-ppmatch-error"] == "BudgetExceeded"
    assert f"daily budget of {DAILY}" in refusal.json()["message"]
    assert resent.status_code == 200 and resent.content == statuses[first_ok].content
    assert after == used + ELEMENTS * allowed
