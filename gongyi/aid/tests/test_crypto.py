"""The pure crypto module: sealing, opening, refusing, rotating, blind indexes, key configuration."""

from __future__ import annotations

import base64

import pytest

from gongyi.aid import crypto

K1, K2, BI = bytes(range(32)), bytes(range(1, 33)), bytes(range(2, 34))


def ring(primary="k1", keys=None):
    return crypto.Keyring(keys=keys or {"k1": K1, "k2": K2}, primary_key_id=primary, blind_index_key=BI)


def test_text_round_trip_names_its_key_and_hides_the_plaintext():
    token = crypto.seal_text(ring(), "420703197001010011 张三", aad="a")
    assert token.startswith("v1:k1:") and "张三" not in token and "4207031970" not in token
    assert crypto.open_text(ring(), token, aad="a") == "420703197001010011 张三"
    assert crypto.seal_text(ring(), "x", aad="a") != crypto.seal_text(ring(), "x", aad="a")  # random nonce


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.replace("v1:k1:", "v1:k9:"),  # unknown key id
        lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"),  # tampered ciphertext
        lambda t: "plaintext",  # not a token
        lambda t: "v1:k1:!!!",  # not base64
        lambda t: "v1:k1:AAAA",  # too short
    ],
)
def test_opening_anything_but_an_intact_token_raises(mutate):
    token = crypto.seal_text(ring(), "秘密", aad="a")
    with pytest.raises(crypto.DecryptionError):
        crypto.open_text(ring(), mutate(token), aad="a")


def test_a_ciphertext_moved_to_another_row_or_column_does_not_open():
    token = crypto.seal_text(ring(), "秘密", aad="gongyi.aid/aid.beneficiary.name/row-1")
    with pytest.raises(crypto.DecryptionError):
        crypto.open_text(ring(), token, aad="gongyi.aid/aid.beneficiary.name/row-2")
    with pytest.raises(crypto.DecryptionError):
        crypto.open_text(ring(), token, aad="gongyi.aid/aid.beneficiary.phone/row-1")


def test_rotation_reseals_under_the_new_primary_and_old_key_still_opens_old_values():
    old = crypto.seal_text(ring("k1"), "秘密", aad="a")
    new_ring = ring("k2")
    assert crypto.open_text(new_ring, old, aad="a") == "秘密"
    fresh = crypto.reseal_text(new_ring, old, aad="a")
    assert fresh.startswith("v1:k2:") and crypto.open_text(new_ring, fresh, aad="a") == "秘密"
    assert crypto.reseal_text(new_ring, fresh, aad="a") is None
    without_old = crypto.Keyring(keys={"k2": K2}, primary_key_id="k2", blind_index_key=BI)
    with pytest.raises(crypto.DecryptionError):
        crypto.open_text(without_old, old, aad="a")


def test_bytes_round_trip_and_refusals():
    blob = crypto.seal_bytes(ring(), b"%PDF-1.4 \xe8\xaf\x8a\xe6\x96\xad", aad="doc")
    assert blob.startswith(b"GYA1") and crypto.blob_key_id(blob) == "k1"
    assert crypto.open_bytes(ring(), blob, aad="doc").startswith(b"%PDF")
    with pytest.raises(crypto.DecryptionError):
        crypto.open_bytes(ring(), blob, aad="other")
    with pytest.raises(crypto.DecryptionError):
        crypto.open_bytes(ring(), blob[:-1] + bytes([blob[-1] ^ 1]), aad="doc")
    with pytest.raises(crypto.DecryptionError):
        crypto.open_bytes(ring(), b"%PDF-1.4 plain", aad="doc")


def test_blind_index_is_stable_keyed_and_separated_by_purpose():
    a = crypto.blind_index(ring(), "idcard", "420703197001010011")
    assert a == crypto.blind_index(ring(), "idcard", "420703197001010011") and len(a) == 32
    assert a != crypto.blind_index(ring(), "invoice", "420703197001010011")
    other = crypto.Keyring(keys={"k1": K1}, primary_key_id="k1", blind_index_key=bytes(32))
    assert a != crypto.blind_index(other, "idcard", "420703197001010011")
    assert "420703" not in a


def test_invoice_numbers_are_normalised():
    assert crypto.normalize_invoice(" 4206-0126 ", "00 01x") == "42060126/0001X"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_keyring_from_environment_texts_and_every_mistake_named():
    keyring = crypto.Keyring.from_texts(
        keys_json=f'{{"2026a": "{b64(K1)}", "2026b": "{base64.urlsafe_b64encode(K2).decode()}"}}',
        primary_key_id="2026b",
        blind_index_key=b64(BI),
    )
    assert keyring.primary_key_id == "2026b" and set(keyring.keys) == {"2026a", "2026b"}
    assert "\\x" not in repr(keyring) and "Keyring(" in repr(keyring)
    cases = [
        ("not json", "2026a", b64(BI), "不是有效的 JSON"),
        ("[]", "2026a", b64(BI), "JSON 对象"),
        (f'{{"2026a": "{b64(K1[:16])}"}}', "2026a", b64(BI), "32字节"),
        ('{"2026a": "***"}', "2026a", b64(BI), "base64"),
        (f'{{"2026a": "{b64(K1)}"}}', "", b64(BI), "GONGYI_AID_PRIMARY_KEY_ID 未设置"),
        (f'{{"2026a": "{b64(K1)}"}}', "2026b", b64(BI), "不在 GONGYI_AID_KEYS 中"),
        (f'{{"2026a": "{b64(K1)}"}}', "2026a", b64(K1), "不能与加密密钥相同"),
        (f'{{"a:b": "{b64(K1)}"}}', "a:b", b64(BI), "只能包含"),
    ]
    for keys_json, primary, blind, message in cases:
        with pytest.raises(crypto.KeyConfigError, match=message):
            crypto.Keyring.from_texts(keys_json=keys_json, primary_key_id=primary, blind_index_key=blind)
