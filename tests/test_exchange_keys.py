import os
import stat

import pytest

from ppmatch.errors import BudgetExceeded, KeyFileError
from ppmatch.exchange.agreement import Budgets
from ppmatch.exchange.budget import BudgetLedger
from ppmatch.exchange.keys import (
    OprfEpochKeys,
    generate_party_keys,
    load_party_keys,
    load_public_keys,
    save_party_keys,
)


def test_keys_round_trip_encrypted_and_0600(tmp_path):
    keys = generate_party_keys("alpha")
    private_path, public_path = save_party_keys(keys, tmp_path, b"correct horse")
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    pem = private_path.read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem and pem.count(b"BEGIN") == 2
    loaded = load_party_keys(tmp_path, "alpha", b"correct horse")
    assert loaded.signing_public_hex == keys.signing_public_hex
    assert load_public_keys(public_path).exchange_key == keys.exchange_public_hex
    assert keys.signing_public_hex[16:] not in repr(loaded)


def test_wrong_or_missing_passphrase_and_unsafe_mode(tmp_path):
    save_party_keys(generate_party_keys("alpha"), tmp_path, b"secret")
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_party_keys(tmp_path, "alpha", b"guess")
    with pytest.raises(KeyFileError, match="encrypted"):
        load_party_keys(tmp_path, "alpha", None)
    os.chmod(tmp_path / "alpha.private.pem", 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_party_keys(tmp_path, "alpha", b"secret")
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        save_party_keys(generate_party_keys("alpha"), tmp_path, None)


def test_oprf_epoch_rotation(tmp_path):
    epochs = OprfEpochKeys(tmp_path, "alpha")
    assert epochs.rotate(b"pw") == 1
    first = epochs.seed(1, b"pw")
    assert epochs.rotate(b"pw") == 2 and epochs.current_epoch() == 2
    assert epochs.seed(1, b"pw") == first != epochs.seed(2, b"pw")
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        epochs.seed(2, b"nope")


def test_budget_daily_and_total(tmp_path):
    ledger = BudgetLedger(tmp_path / "budget.json", Budgets(daily_tokens=100, total_tokens=150))
    budget = ledger.for_party("beta")
    budget.charge(60)
    with pytest.raises(BudgetExceeded, match="daily budget"):
        budget.charge(41)
    budget.charge(40)
    assert BudgetLedger(tmp_path / "budget.json", ledger.budgets).usage("beta") == (100, 100)
    ledger.for_party("gamma").charge(100)
    assert ledger.usage("gamma") == (100, 100)
    ledger.budgets = Budgets(daily_tokens=1000, total_tokens=150)
    with pytest.raises(BudgetExceeded, match="total budget"):
        budget.charge(51)
