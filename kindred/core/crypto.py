"""Application-level encryption of highly sensitive columns (SECURITY.md "Encryption").

AES-256-GCM (authenticated: a changed byte is an error, never garbage) with a versioned
key ring from the environment:

    KINDRED_FIELD_KEYS="k2026b:<base64 32 bytes>,k2026a:<base64 32 bytes>"

The first key encrypts; every key in the ring decrypts, so a new key is added in front,
``manage.py rotate_keys`` re-encrypts every encrypted column with it, and only then is
the old key removed (docs/operations.md). In DEBUG and tests, when the variable is unset,
a development key derived from SECRET_KEY is used; settings.py refuses to start without
the variable in production.

A stored value is base64url text of::

    version (1 byte, 0x01) | key id length (1 byte) | key id (ASCII) | nonce (12 bytes)
    | ciphertext + tag (16 bytes)

The associated data binds the value to its table, column and row identity (a UUID the
row keeps for life), so a ciphertext copied into another row, column or table does not
decrypt.

``EncryptedTextField`` stores that text. Reading a row keeps the value sealed
(``Sealed``) until the attribute is first read, when it is decrypted with the row's
identity; saving encrypts with the current key and a fresh nonce. The field refuses
plain strings anywhere but ``Model.save`` (``QuerySet.update``, ``bulk_update`` and
lookups), so plaintext can never reach a column or a query log by another path.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.query_utils import DeferredAttribute

FORMAT_VERSION = 1
NONCE_BYTES = 12
KEY_BYTES = 32
DEV_KEY_ID = "dev"
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class DecryptionError(Exception):
    """A value could not be decrypted: changed, moved to another row, or sealed with a key
    that is no longer in the ring. The message never holds the value."""


class MissingKeyError(DecryptionError):
    """The value was sealed with a key id that is not in KINDRED_FIELD_KEYS."""


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def parse_keys(spec: str) -> KeyRing:
    """Parse ``id:base64key,id:base64key`` (the first is current). Raises
    ImproperlyConfigured with a message that names the entry, never the key."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for number, raw in enumerate(spec.split(","), start=1):
        entry = raw.strip()
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                f"KINDRED_FIELD_KEYS entry {number} must look like 'id:base64key' with an id "
                "of 1-32 letters, digits, '.', '_' or '-'."
            )
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(
                f"KINDRED_FIELD_KEYS key {key_id!r} must be {KEY_BYTES} bytes in base64 "
                "(generate one as docs/operations.md shows)."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"KINDRED_FIELD_KEYS names the key {key_id!r} twice.")
        keys[key_id] = key
        order.append(key_id)
    if not order:
        raise ImproperlyConfigured("KINDRED_FIELD_KEYS holds no key.")
    return KeyRing(current_id=order[0], keys=keys)


def development_key() -> KeyRing:
    """A key derived from SECRET_KEY, for DEBUG and tests only."""
    key = hashlib.sha256(b"kindred-field-key-dev|" + settings.SECRET_KEY.encode()).digest()
    return KeyRing(current_id=DEV_KEY_ID, keys={DEV_KEY_ID: key})


_cache: dict[str, KeyRing] = {}


def keyring() -> KeyRing:
    """The key ring in the settings now (cached per value, so test overrides apply)."""
    spec = getattr(settings, "KINDRED_FIELD_KEYS", "") or ""
    if not spec:
        if settings.DEBUG or getattr(settings, "TESTING", False):
            return development_key()
        raise ImproperlyConfigured(
            "KINDRED_FIELD_KEYS must be set: encrypted fields have no key (docs/operations.md)."
        )
    ring = _cache.get(spec)
    if ring is None:
        ring = parse_keys(spec)
        _cache.clear()
        _cache[spec] = ring
    return ring


def generate_key() -> str:
    """A new random key in the form KINDRED_FIELD_KEYS takes (base64 of 32 bytes)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def associated_data(table: str, column: str, identity: str) -> bytes:
    return f"kindred-field|{table}|{column}|{identity}".encode()


def encrypt(plaintext: str, *, aad: bytes, ring: KeyRing | None = None) -> str:
    ring = ring or keyring()
    key_id = ring.current_id.encode("ascii")
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.current).encrypt(nonce, plaintext.encode("utf-8"), aad)
    blob = bytes([FORMAT_VERSION, len(key_id)]) + key_id + nonce + sealed
    return base64.urlsafe_b64encode(blob).decode("ascii")


def _split(token: str) -> tuple[str, bytes, bytes]:
    try:
        blob = base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise DecryptionError("The encrypted value is not valid base64.") from exc
    if len(blob) < 2 or blob[0] != FORMAT_VERSION:
        raise DecryptionError("The encrypted value has an unknown format version.")
    id_len = blob[1]
    head = 2 + id_len
    if len(blob) < head + NONCE_BYTES + 16:
        raise DecryptionError("The encrypted value is truncated.")
    try:
        key_id = blob[2:head].decode("ascii")
    except UnicodeDecodeError as exc:
        raise DecryptionError("The encrypted value names no readable key id.") from exc
    return key_id, blob[head : head + NONCE_BYTES], blob[head + NONCE_BYTES :]


def key_id_of(token: str) -> str:
    """The id of the key ``token`` was sealed with (read from its header)."""
    return _split(token)[0]


def decrypt(token: str, *, aad: bytes, ring: KeyRing | None = None) -> str:
    ring = ring or keyring()
    key_id, nonce, sealed = _split(token)
    key = ring.keys.get(key_id)
    if key is None:
        raise MissingKeyError(
            f"This value was encrypted with key {key_id!r}, which is not in "
            "KINDRED_FIELD_KEYS. Put that key back in the ring (after the current one) and "
            "run `manage.py rotate_keys` before removing it."
        )
    try:
        plain = AESGCM(key).decrypt(nonce, sealed, aad)
    except InvalidTag as exc:
        raise DecryptionError(
            "The encrypted value failed its integrity check: it was changed, or it belongs "
            "to another row or column."
        ) from exc
    return plain.decode("utf-8")


# --- The model field ---------------------------------------------------------------------


class Ciphertext(str):
    """A value that is already sealed: written to the column as it is."""

    __slots__ = ()


class Sealed:
    """A column value as read from the database, decrypted on first access."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "<sealed>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)


class PlaintextRefused(TypeError):
    """Plain text was about to reach an encrypted column other than through save()."""


class _DecryptingAttribute(DeferredAttribute):
    """A data descriptor (it has ``__set__``), so reads go through ``__get__`` even when
    the value sits in the instance's ``__dict__``."""

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        value = super().__get__(instance, cls)
        if instance is None or not isinstance(value, Sealed):
            return value
        field: EncryptedTextField = self.field  # type: ignore[assignment]
        plain = decrypt(value.token, aad=field.aad_for(instance))
        instance.__dict__[field.attname] = plain
        return plain


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text encrypted with the key ring; ``identity`` names the row's lifelong UUID field
    that goes into the associated data."""

    descriptor_class = _DecryptingAttribute

    def __init__(self, *args: Any, identity: str = "uid", **kwargs: Any) -> None:
        self.identity = identity
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["identity"] = self.identity
        return name, path, args, kwargs

    def aad_for(self, instance: models.Model) -> bytes:
        identity = getattr(instance, self.identity)
        if not identity:
            raise ValueError(f"{self.model._meta.label} has no {self.identity} to bind to.")
        return associated_data(self.model._meta.db_table, str(self.column), str(identity))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return Sealed(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Sealed):
            return value
        return super().to_python(value)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or value == "":
            return value
        if isinstance(value, Sealed):
            return Ciphertext(value.token)  # unread since loaded: written back unchanged
        return Ciphertext(encrypt(str(value), aad=self.aad_for(model_instance)))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return value
        if isinstance(value, Sealed):
            return Ciphertext(value.token)
        if isinstance(value, Ciphertext):
            return value
        if hasattr(value, "resolve_expression"):
            return value
        raise PlaintextRefused(
            f"{self.model._meta.label}.{self.name} is encrypted: set it on the instance and "
            "call save(); plain text is never written or looked up directly."
        )

    def value_to_string(self, obj: models.Model) -> str:
        # Serialization (dumpdata) writes the ciphertext, never the plain text.
        value = obj.__dict__.get(self.attname)
        if isinstance(value, Sealed):
            return value.token
        if value in (None, ""):
            return ""
        return str(self.pre_save(obj, add=False))


def encrypted_fields() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Every concrete model with encrypted columns, and those columns."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields and not model._meta.proxy:
            found.append((model, fields))
    return found
