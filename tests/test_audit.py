import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ppmatch.errors import IntegrityError
from ppmatch.exchange.audit import AuditLog, verify_log

KEY = Ed25519PrivateKey.generate()


def write_log(path, events=6, checkpoint_every=3):
    log = AuditLog(path, KEY, checkpoint_every=checkpoint_every)
    for i in range(events):
        log.append("evaluate", tokens=10 + i, peer="querier-agency", request_sha256="ab" * 32)
    return log.checkpoint()


def test_clean_log_verifies_with_periodic_signed_checkpoints(tmp_path):
    path = tmp_path / "audit.jsonl"
    head = write_log(path)
    report = verify_log(path, KEY.public_key(), expected_head=head)
    assert report.events["evaluate"] == 6
    assert report.checkpoints == 2  # after 3 and after 6 entries
    assert report.head == head


def mutate_lines(path, change):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(change(lines)))


@pytest.mark.parametrize(
    "change",
    [
        lambda ls: ls[:2] + ls[3:],  # deletion
        lambda ls: [ls[1], ls[0], *ls[2:]],  # reordering
        lambda ls: [ls[0].replace('"tokens":10', '"tokens":11'), *ls[1:]],  # edit
        lambda ls: ls[:-1],  # final checkpoint cut off
    ],
    ids=["delete", "reorder", "edit", "cut-tail"],
)
def test_tampering_is_detected(tmp_path, change):
    path = tmp_path / "audit.jsonl"
    write_log(path)
    mutate_lines(path, change)
    with pytest.raises(IntegrityError):
        verify_log(path, KEY.public_key())


def test_recomputed_chain_without_key_fails_checkpoint(tmp_path):
    from ppmatch.exchange.audit import _entry_hash

    path = tmp_path / "audit.jsonl"
    write_log(path, events=2, checkpoint_every=100)
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    entries[0]["data"]["tokens"] = 999  # forger rewrites and rehashes the whole chain
    head = "0" * 64
    for entry in entries:
        entry["prev"] = head
        entry["hash"] = head = _entry_hash(entry)
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    with pytest.raises(IntegrityError, match="checkpoint signature"):
        verify_log(path, KEY.public_key())


def test_other_key_refused_and_torn_tail_recovered(tmp_path):
    path = tmp_path / "audit.jsonl"
    write_log(path, events=1)
    with pytest.raises(IntegrityError, match="another key"):
        verify_log(path, Ed25519PrivateKey.generate().public_key())
    with open(path, "ab") as handle:
        handle.write(b'{"seq":3,"ev')  # crash mid-append
    with pytest.raises(IntegrityError, match="incomplete"):
        verify_log(path, KEY.public_key())
    AuditLog(path, KEY).checkpoint()
    report = verify_log(path, KEY.public_key())
    assert report.events["recovered"] == 1
