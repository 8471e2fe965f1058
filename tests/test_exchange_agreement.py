from datetime import UTC, datetime, timedelta

import pytest

from ppmatch.errors import AgreementError
from ppmatch.exchange.agreement import load_agreement, read_agreement, save_agreement
from ppmatch.exchange.config import draft_agreement, screening_config
from ppmatch.exchange.keys import PartyPublicKeys, derive_linkage_secret, generate_party_keys

ALPHA, BETA = generate_party_keys("alpha"), generate_party_keys("beta")


def public(keys):
    return PartyPublicKeys(keys.name, keys.signing_public_hex, keys.exchange_public_hex)


def signed_file(tmp_path, **options):
    draft = draft_agreement([public(ALPHA), public(BETA)], agreement_id="test-1", **options)
    path = tmp_path / "agreement.toml"
    save_agreement(path, draft.sign("alpha", ALPHA.signing).sign("beta", BETA.signing))
    return path


def test_signed_agreement_round_trips_and_hash_is_stable(tmp_path):
    path = signed_file(tmp_path)
    agreement = load_agreement(path)
    assert agreement.id == "test-1"
    assert agreement.threshold == agreement.linkage_schema().disclosure.threshold
    reread = read_agreement(path).agreement
    assert reread.hash() == agreement.hash() and len(agreement.hash()) == 32


def test_unsigned_modified_and_expired_are_refused(tmp_path):
    draft = draft_agreement([public(ALPHA), public(BETA)], agreement_id="test-1")
    path = tmp_path / "half.toml"
    save_agreement(path, draft.sign("alpha", ALPHA.signing))
    with pytest.raises(AgreementError, match="not signed by party 'beta'"):
        load_agreement(path)

    path = signed_file(tmp_path)
    text = path.read_text()
    path.write_text(text.replace("daily_tokens = 10000000", "daily_tokens = 99999999"))
    with pytest.raises(AgreementError, match="modified after signing"):
        load_agreement(path)

    path = signed_file(tmp_path, valid_from=datetime.now(UTC) - timedelta(days=30), valid_days=10)
    with pytest.raises(AgreementError, match="expired"):
        load_agreement(path)


def test_signing_with_unlisted_key_and_bad_field(tmp_path):
    draft = draft_agreement([public(ALPHA), public(BETA)])
    with pytest.raises(AgreementError, match="not the one listed"):
        draft.sign("alpha", BETA.signing)
    path = signed_file(tmp_path)
    path.write_text(path.read_text().replace("threshold = ", "threshold = 0 #", 1))
    with pytest.raises(AgreementError, match="agreement.threshold"):
        read_agreement(path)


def test_both_parties_derive_the_same_linkage_secret(tmp_path):
    agreement = load_agreement(signed_file(tmp_path))
    digest = agreement.hash()
    mine = derive_linkage_secret(ALPHA, BETA.exchange.public_key(), digest)
    theirs = derive_linkage_secret(BETA, ALPHA.exchange.public_key(), digest)
    assert mine == theirs and len(mine) == 32
    assert derive_linkage_secret(ALPHA, BETA.exchange.public_key(), bytes(32)) != mine
    holder, querier = screening_config(agreement, ALPHA), screening_config(agreement, BETA)
    assert holder.linkage_secret == querier.linkage_secret
    assert holder.agreement_hash == digest and holder.threshold == agreement.threshold
    with pytest.raises(AgreementError, match="not the ones listed"):
        screening_config(agreement, generate_party_keys("alpha"))
