"""The process-pool runner gives the serial results, and nobody leaks libsodium copies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ppmatch.crypto import OPRFClient, OPRFServer, derive_key_pair, parallel
from ppmatch.errors import CryptoError

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def runner():
    with parallel.BatchRunner(2, chunk_size=16, min_parallel_batch=8) as pool:
        yield pool


@pytest.mark.parametrize(("name", "size"), [("ristretto255-SHA512", 70), ("P256-SHA256", 20)])
@pytest.mark.parametrize("mode", [0, 1])
def test_pool_matches_serial(runner, name: str, size: int, mode: int) -> None:
    private_key, public_key = derive_key_pair(name, b"\x11" * 32, b"parallel", mode)
    server = OPRFServer(name, private_key, mode=mode)
    client = OPRFClient(name, mode=mode, server_public_key=public_key)
    inputs = [f"token-{i}".encode() for i in range(size)]
    blinds, blinded = client.blind_batch(inputs)
    nonce = b"\x01" + bytes(31) if name == "P256-SHA256" else bytes(31) + b"\x01"

    assert runner.blind(name, mode, inputs, blinds=blinds) == (blinds, blinded)
    serial = server.blind_evaluate_batch(blinded, proof_nonce=nonce if mode else None)
    pooled = runner.blind_evaluate(server, blinded, proof_nonce=nonce if mode else None)
    assert pooled == serial
    evaluated, proof = pooled
    outputs = client.finalize_batch(inputs, blinds, evaluated, blinded, proof)
    assert runner.finalize(client, inputs, blinds, evaluated, blinded, proof) == outputs
    assert runner.evaluate(server, inputs) == outputs
    fresh_blinds, fresh_blinded = runner.blind(name, mode, inputs)
    assert fresh_blinds != blinds
    evaluated, proof = runner.blind_evaluate(server, fresh_blinded)
    assert runner.finalize(client, inputs, fresh_blinds, evaluated, fresh_blinded, proof) == outputs


def test_pool_rejects_a_bad_proof_and_bad_elements(runner) -> None:
    name = "ristretto255-SHA512"
    private_key, public_key = derive_key_pair(name, b"\x12" * 32, b"parallel", 1)
    client = OPRFClient(name, mode=1, server_public_key=public_key)
    impostor = OPRFServer(name, derive_key_pair(name, b"\x13" * 32, b"x", 1)[0], mode=1)
    inputs = [bytes([i]) for i in range(40)]
    blinds, blinded = runner.blind(name, 1, inputs)
    evaluated, proof = runner.blind_evaluate(impostor, blinded)
    with pytest.raises(CryptoError, match="proof"):
        runner.finalize(client, inputs, blinds, evaluated, blinded, proof)
    with pytest.raises(CryptoError, match=r"blinded element\[37\]"):
        runner.blind_evaluate(impostor, blinded[:37] + [bytes(32)] + blinded[38:])


_CHILD = """
import sys
from ppmatch.crypto import OPRFServer, generate_key_pair, parallel
name = "ristretto255-SHA512"
server = OPRFServer(name, generate_key_pair(name)[0], mode=0)
with parallel.BatchRunner(2, chunk_size=8, min_parallel_batch=8) as pool:
    assert len(pool.evaluate(server, [bytes([i]) for i in range(64)])) == 64
"""


def _so_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.suffix in (".so", ".pyd")]


def test_no_libsodium_copy_left_in_tmpdir(tmp_path: Path) -> None:
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=str(REPO_ROOT))
    subprocess.run([sys.executable, "-c", _CHILD], env=env, check=True, timeout=120)
    assert _so_files(tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_plain_rbcl_import_would_leak(tmp_path: Path) -> None:
    """Control: proves the test above can fail (rbcl alone leaves its copy behind)."""
    env = dict(os.environ, TMPDIR=str(tmp_path))
    subprocess.run([sys.executable, "-c", "import rbcl"], env=env, check=True, timeout=60)
    leaked = _so_files(tmp_path)
    assert len(leaked) == 1 and leaked[0].stat().st_size > 1_000_000
