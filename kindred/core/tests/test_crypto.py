"""The encryption primitives (kindred/core/crypto.py): round trip, tamper detection,
binding to the row, the key ring, and production refusing to start without keys. The
encrypted column itself (raw column, logs, pg_dump, rotation) is tested with the
psychotherapy notes that use it (kindred/psychnotes/tests/test_encryption.py)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from kindred.core import crypto

ROOT = Path(__file__).resolve().parents[3]
AAD = crypto.associated_data("psychnotes_psychotherapynote", "body", "row-1")


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def ring(spec: str) -> crypto.KeyRing:
    return crypto.parse_keys(spec)


@given(st.text(max_size=2000))
def test_round_trip_of_any_text(text):
    r = ring(f"a:{key()}")
    token = crypto.encrypt(text, aad=AAD, ring=r)
    assert crypto.decrypt(token, aad=AAD, ring=r) == text


def test_the_format_is_version_key_id_nonce_and_sealed_text():
    r = ring(f"k2026:{key()}")
    blob = base64.urlsafe_b64decode(crypto.encrypt("hello", aad=AAD, ring=r))
    assert blob[0] == crypto.FORMAT_VERSION
    assert blob[1] == len("k2026")
    assert blob[2:7] == b"k2026"
    # then the nonce, the 5 sealed bytes and the 16-byte tag
    assert len(blob) == 7 + 12 + 5 + 16
    assert crypto.key_id_of(crypto.encrypt("hello", aad=AAD, ring=r)) == "k2026"


def test_the_same_text_encrypts_differently_each_time():
    r = ring(f"a:{key()}")
    assert crypto.encrypt("same", aad=AAD, ring=r) != crypto.encrypt("same", aad=AAD, ring=r)


def test_every_flipped_byte_is_detected_never_garbage():
    r = ring(f"a:{key()}")
    blob = bytearray(base64.urlsafe_b64decode(crypto.encrypt("CANARY-flip", aad=AAD, ring=r)))
    head = 2 + len("a")
    for position in range(head, len(blob)):
        broken = bytearray(blob)
        broken[position] ^= 0x01
        token = base64.urlsafe_b64encode(bytes(broken)).decode()
        with pytest.raises(crypto.DecryptionError, match="integrity check"):
            crypto.decrypt(token, aad=AAD, ring=r)


def test_a_damaged_header_is_an_error():
    r = ring(f"a:{key()}")
    blob = bytearray(base64.urlsafe_b64decode(crypto.encrypt("x", aad=AAD, ring=r)))
    blob[0] = 9
    with pytest.raises(crypto.DecryptionError, match="format version"):
        crypto.decrypt(base64.urlsafe_b64encode(bytes(blob)).decode(), aad=AAD, ring=r)
    blob[0] = crypto.FORMAT_VERSION
    with pytest.raises(crypto.DecryptionError, match="truncated"):
        crypto.decrypt(base64.urlsafe_b64encode(bytes(blob[:10])).decode(), aad=AAD, ring=r)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("not base64 at all!", aad=AAD, ring=r)


def test_a_value_moved_to_another_row_column_or_table_does_not_decrypt():
    r = ring(f"a:{key()}")
    token = crypto.encrypt("CANARY-moved", aad=AAD, ring=r)
    for other in (
        crypto.associated_data("psychnotes_psychotherapynote", "body", "row-2"),
        crypto.associated_data("psychnotes_psychotherapynote", "title", "row-1"),
        crypto.associated_data("other_table", "body", "row-1"),
    ):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(token, aad=other, ring=r)


def test_old_keys_decrypt_and_only_the_first_encrypts():
    old, new = key(), key()
    before = ring(f"old:{old}")
    token = crypto.encrypt("kept", aad=AAD, ring=before)
    after = ring(f"new:{new},old:{old}")
    assert crypto.decrypt(token, aad=AAD, ring=after) == "kept"
    assert crypto.key_id_of(crypto.encrypt("kept", aad=AAD, ring=after)) == "new"


def test_a_missing_key_is_a_clear_error():
    token = crypto.encrypt("x", aad=AAD, ring=ring(f"gone:{key()}"))
    with pytest.raises(crypto.MissingKeyError, match="key 'gone', which is not in"):
        crypto.decrypt(token, aad=AAD, ring=ring(f"new:{key()}"))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "holds no key"),
        ("nocolon", "entry 1 must look like"),
        ("bad id:" + base64.b64encode(b"x" * 32).decode(), "entry 1 must look like"),
        ("a:" + base64.b64encode(b"short").decode(), "must be 32 bytes"),
        ("a:not-base64!!", "must be 32 bytes"),
        ("a:{k},a:{k}", "twice"),
    ],
)
def test_bad_key_rings_are_refused_with_the_reason(spec, message):
    spec = spec.format(k=base64.b64encode(b"k" * 32).decode())
    with pytest.raises(ImproperlyConfigured, match=message) as info:
        crypto.parse_keys(spec)
    assert "kkkk" not in str(info.value)  # the key itself is never in the message


def test_the_ring_follows_the_settings(settings):
    settings.KINDRED_FIELD_KEYS = ""
    assert crypto.keyring().current_id == crypto.DEV_KEY_ID  # tests: the development key
    k = key()
    settings.KINDRED_FIELD_KEYS = f"prod1:{k}"
    assert crypto.keyring().current_id == "prod1"
    settings.KINDRED_FIELD_KEYS = ""
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(ImproperlyConfigured, match="KINDRED_FIELD_KEYS must be set"):
        crypto.keyring()


def _settings_in_production(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KINDRED_TESTING", "KINDRED_FIELD_KEYS", "KINDRED_FIELD_KEYS_FILE"}
    }
    env.update({"DJANGO_DEBUG": "0", "SECRET_KEY": "x" * 50, **extra})
    return subprocess.run(
        [sys.executable, "-c", "import kindred.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_refuse_to_start_without_keys():
    refused = _settings_in_production({})
    assert refused.returncode != 0
    assert "KINDRED_FIELD_KEYS (or KINDRED_FIELD_KEYS_FILE) must be set" in refused.stderr
    started = _settings_in_production({"KINDRED_FIELD_KEYS": f"k1:{key()}"})
    assert started.returncode == 0, started.stderr
