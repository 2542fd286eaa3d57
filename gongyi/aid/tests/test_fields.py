"""Encryption at rest: what the database holds, who may open it, what refuses, how keys come and rotate."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from gongyi.aid import crypto, keys
from gongyi.aid.access import open_document
from gongyi.aid.fields import SealedFieldAccess, unsealed
from gongyi.aid.models import AidCase, Beneficiary, Document
from gongyi.aid.services import id_number_index
from gongyi.aid.tests.fixtures import PERSON_ID, SECRET_DIAGNOSIS, SECRET_NAME, open_case, ready_case

pytestmark = pytest.mark.django_db


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        return cursor.fetchone()[0]


def test_the_database_holds_tokens_and_reads_need_an_unsealed_scope(network):
    case = open_case(network)
    person = Beneficiary.objects.get(pk=case.beneficiary_id)
    stored = raw("aid_beneficiary", "name", person.pk)
    assert stored.startswith("v1:") and SECRET_NAME not in stored
    assert SECRET_DIAGNOSIS not in raw("aid_aidcase", "diagnosis", case.pk)
    assert PERSON_ID not in raw("aid_beneficiary", "id_number", person.pk)
    with pytest.raises(SealedFieldAccess):
        _ = person.name
    with pytest.raises(SealedFieldAccess):
        _ = AidCase.objects.get(pk=case.pk).diagnosis
    with unsealed("test"):
        assert person.name == SECRET_NAME and person.id_number == PERSON_ID and person.birth_date == "1970-01-01"
        assert AidCase.objects.get(pk=case.pk).diagnosis == SECRET_DIAGNOSIS
    assert person.masked_name == "测**" and "测**" in repr(person.__str__())


def test_a_ciphertext_copied_to_another_row_or_tampered_with_raises_never_returns_ciphertext(network):
    case = open_case(network)
    other = open_case(
        network,
        id_number=_valid("42070319800101003"),
        name="乙",
        village=network.other_village,
        actor=network.users["other_village"],
    )
    token = raw("aid_beneficiary", "name", case.beneficiary_id)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE aid_beneficiary SET name = %s WHERE id = %s", [token, other.beneficiary_id])
        cursor.execute(
            "UPDATE aid_aidcase SET hospital = %s WHERE id = %s", [raw("aid_aidcase", "diagnosis", case.pk), case.pk]
        )
    with unsealed("test"), pytest.raises(crypto.DecryptionError):
        _ = Beneficiary.objects.get(pk=other.beneficiary_id).name
    with unsealed("test"), pytest.raises(crypto.DecryptionError):
        _ = AidCase.objects.get(pk=case.pk).hospital
    with connection.cursor() as cursor:
        cursor.execute("UPDATE aid_beneficiary SET phone = %s WHERE id = %s", ["13800001111", case.beneficiary_id])
    with unsealed("test"), pytest.raises(crypto.DecryptionError):
        _ = Beneficiary.objects.get(pk=case.beneficiary_id).phone


def _valid(first17: str) -> str:
    from gongyi.core.checkdigits import id_check_char

    return first17 + id_check_char(first17)


def test_filtering_on_a_sealed_field_is_refused_and_dumpdata_gives_ciphertext(network, capsys):
    open_case(network)
    with pytest.raises(TypeError, match="加密字段"):
        list(Beneficiary.objects.filter(name=SECRET_NAME))
    assert Beneficiary.objects.filter(id_number_index=id_number_index(PERSON_ID)).count() == 1
    call_command("dumpdata", "aid.beneficiary", "aid.aidcase")
    out = capsys.readouterr().out
    assert '"name": "v1:' in out and SECRET_NAME not in out and PERSON_ID not in out and SECRET_DIAGNOSIS not in out


def test_documents_are_encrypted_on_disk_and_opened_only_with_a_logged_reason(network):
    from django.core.files.storage import default_storage

    from gongyi.aid.access import AccessRefused
    from gongyi.aid.models import AccessLog
    from gongyi.aid.tests.fixtures import pdf

    case = ready_case(network)
    document = Document.objects.get(case=case)
    with default_storage.open(document.storage_name, "rb") as handle:
        blob = handle.read()
    assert blob.startswith(b"GYA1") and b"%PDF" not in blob and b"test document" not in blob
    with pytest.raises(AccessRefused):
        open_document(user=network.users["far_village"], document=document, reason="review")
    with pytest.raises(AccessRefused):
        open_document(user=network.users["village"], document=document, reason="other")
    content, content_type, name = open_document(user=network.users["village"], document=document, reason="review")
    assert content.startswith(b"%PDF") and content_type == "application/pdf" and name == "诊断证明.pdf"
    log = AccessLog.objects.get()
    assert (log.user, log.case, log.fields, log.reason) == (
        network.users["village"],
        case,
        "document.diagnosis",
        "review",
    )
    from gongyi.aid import services

    for bad, message in (
        (pdf("a.exe"), "只接受"),
        (pdf("a.png"), "扩展名与内容不符"),
        (pdf("a.pdf", b"hello"), "不是 PDF"),
        (pdf("a.pdf", b""), "文件为空"),
    ):
        with pytest.raises(services.AidError, match=message):
            services.add_document(actor=network.users["village"], case=case, kind="diagnosis", file=bad)


def b64(raw_bytes: bytes) -> str:
    return base64.b64encode(raw_bytes).decode()


def env_keys(monkeypatch, keys_map: dict[str, bytes], primary: str, blind: bytes) -> None:
    monkeypatch.setenv("GONGYI_AID_KEYS", json.dumps({k: b64(v) for k, v in keys_map.items()}))
    monkeypatch.setenv("GONGYI_AID_PRIMARY_KEY_ID", primary)
    monkeypatch.setenv("GONGYI_AID_BLIND_INDEX_KEY", b64(blind))


def test_production_without_keys_refuses_to_start_the_aid_app(monkeypatch, settings):
    from django.apps import apps

    for name in (keys.ENV_KEYS, keys.ENV_PRIMARY, keys.ENV_BLIND_INDEX):
        monkeypatch.delenv(name, raising=False)
    settings.CONFIG = dataclasses.replace(settings.CONFIG, production=True)  # restored by the fixture
    with pytest.raises(ImproperlyConfigured, match="生产环境须设置 GONGYI_AID_KEYS"):
        keys.current_keyring()
    with pytest.raises(ImproperlyConfigured, match="救助模块不能启动"):
        apps.get_app_config("aid").ready()
    monkeypatch.setenv("GONGYI_AID_KEYS", json.dumps({"p1": b64(os.urandom(32))}))
    with pytest.raises(ImproperlyConfigured, match="缺少 GONGYI_AID_PRIMARY_KEY_ID, GONGYI_AID_BLIND_INDEX_KEY"):
        keys.current_keyring()
    monkeypatch.setenv("GONGYI_AID_PRIMARY_KEY_ID", "p1")
    monkeypatch.setenv("GONGYI_AID_BLIND_INDEX_KEY", b64(b"short"))
    with pytest.raises(ImproperlyConfigured, match="GONGYI_AID_BLIND_INDEX_KEY: 密钥须为32字节"):
        keys.current_keyring()
    monkeypatch.setenv("GONGYI_AID_BLIND_INDEX_KEY", b64(os.urandom(32)))
    assert keys.current_keyring().primary_key_id == "p1"
    apps.get_app_config("aid").ready()


def test_demo_keys_are_generated_once_and_kept_private(tmp_path, settings, monkeypatch):
    for name in (keys.ENV_KEYS, keys.ENV_PRIMARY, keys.ENV_BLIND_INDEX):
        monkeypatch.delenv(name, raising=False)
    settings.GONGYI = {**settings.GONGYI, "DATA_DIR": tmp_path}
    first = keys.current_keyring()
    path = tmp_path / keys.DEMO_KEYRING_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and first.primary_key_id == "demo1"
    assert keys.current_keyring().keys == first.keys
    assert keys.add_demo_primary_key() == "demo2"
    second = keys.current_keyring()
    assert second.primary_key_id == "demo2" and second.keys["demo1"] == first.keys["demo1"]
    assert second.blind_index_key == first.blind_index_key


def test_rotation_re_encrypts_every_value_and_file_under_the_new_primary_key(network, monkeypatch, capsys):
    k1, k2, blind = os.urandom(32), os.urandom(32), os.urandom(32)
    env_keys(monkeypatch, {"k1": k1}, "k1", blind)
    case = ready_case(network)
    assert raw("aid_beneficiary", "name", case.beneficiary_id).startswith("v1:k1:")
    env_keys(monkeypatch, {"k1": k1, "k2": k2}, "k2", blind)
    call_command("rotate_aid_keys", "--dry-run")
    assert "aid.Beneficiary: 1 would be re-encrypted" in capsys.readouterr().out
    assert raw("aid_beneficiary", "name", case.beneficiary_id).startswith("v1:k1:")
    call_command("rotate_aid_keys")
    out = capsys.readouterr().out
    assert "aid.Beneficiary: 1 re-encrypted" in out and "left: 0" in out
    for table, column, pk in (
        ("aid_beneficiary", "name", case.beneficiary_id),
        ("aid_beneficiary", "id_number", case.beneficiary_id),
        ("aid_aidcase", "diagnosis", case.pk),
    ):
        assert raw(table, column, pk).startswith("v1:k2:")
    assert all(d.key_id == "k2" for d in Document.objects.all())
    env_keys(monkeypatch, {"k2": k2}, "k2", blind)  # the old key is gone: everything still opens
    with unsealed("test"):
        assert Beneficiary.objects.get(pk=case.beneficiary_id).name == SECRET_NAME
        assert AidCase.objects.get(pk=case.pk).diagnosis == SECRET_DIAGNOSIS
    content, _, _ = open_document(
        user=network.users["village"], document=Document.objects.get(case=case), reason="review"
    )
    assert content.startswith(b"%PDF")


def test_reindex_after_a_new_blind_index_key_keeps_duplicates_found(network, monkeypatch, capsys):
    k1 = os.urandom(32)
    env_keys(monkeypatch, {"k1": k1}, "k1", os.urandom(32))
    case = open_case(network)
    before = Beneficiary.objects.get(pk=case.beneficiary_id).id_number_index
    env_keys(monkeypatch, {"k1": k1}, "k1", os.urandom(32))
    call_command("rotate_aid_keys", "--reindex")
    assert "blind indexes rebuilt: 1" in capsys.readouterr().out
    after = Beneficiary.objects.get(pk=case.beneficiary_id).id_number_index
    assert after != before and after == id_number_index(PERSON_ID)
