"""Field encryption at rest and blind indexes (HMAC-SHA256) for personal data.

Columns are sealed with AES-256-GCM under a key derived (HKDF-SHA256) from each entry of
``CASEAPP_FIELD_KEYS``, newest first: ``v2:`` + base64(key id, nonce, ciphertext and tag), the
column's name bound in as associated data. Rows written before are Fernet tokens under the
same keys; they still read, and ``rotate_field_keys`` rewrites them. Why the change: one Fernet
decryption cost 15 µs in Python, an AES-GCM one 2 µs, and the export reads three per row
(docs/decisions.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import unicodedata
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def generate_key_file_text() -> str:
    return (
        f"CASEAPP_FIELD_KEYS={Fernet.generate_key().decode()}\n"
        f"CASEAPP_BLIND_INDEX_KEY={secrets.token_urlsafe(32)}\n"
    )


def _local_keys() -> dict[str, str]:
    """Read (creating on first use) the git-ignored local key file; development only: the
    setting is None outside DEBUG, so production never writes a key to disk."""
    path = settings.FIELD_KEY_FILE
    if path is None:
        raise ImproperlyConfigured(
            "No field keys: set CASEAPP_FIELD_KEYS and CASEAPP_BLIND_INDEX_KEY (python manage.py "
            "generate_field_keys prints new ones), or, for development with DJANGO_DEBUG=1, "
            "CASEAPP_FIELD_KEY_FILE=.field_keys as make run does.")
    if not path.exists():
        # O_EXCL: two workers starting together must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(generate_key_file_text())
    values = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip()
    return values


def local_key_file_add_field_key() -> None:
    """Put a new first field key in the local key file; older keys stay to read old rows."""
    values = _local_keys()
    keys = [Fernet.generate_key().decode(), *values["CASEAPP_FIELD_KEYS"].split(",")]
    settings.FIELD_KEY_FILE.write_text(
        f"CASEAPP_FIELD_KEYS={','.join(keys)}\n"
        f"CASEAPP_BLIND_INDEX_KEY={values['CASEAPP_BLIND_INDEX_KEY']}\n"
    )
    reset_key_cache()


@lru_cache(maxsize=1)
def _keys() -> tuple[tuple[str, ...], bytes]:
    field_keys = tuple(settings.FIELD_KEYS)
    index_key = settings.BLIND_INDEX_KEY
    if not field_keys or not index_key:
        local = _local_keys()
        field_keys = field_keys or tuple(
            k for k in local.get("CASEAPP_FIELD_KEYS", "").split(",") if k
        )
        index_key = index_key or local.get("CASEAPP_BLIND_INDEX_KEY", "")
    return field_keys, index_key.encode()


def reset_key_cache() -> None:
    _keys.cache_clear()
    fernet.cache_clear()
    _sealers.cache_clear()
    _cookie_sealers.cache_clear()


@lru_cache(maxsize=1)
def fernet() -> MultiFernet:
    """Reads the rows written before AES-GCM (Fernet tokens)."""
    return MultiFernet([Fernet(key) for key in _keys()[0]])


PREFIX = "v2:"
_NONCE = 12
_KEY_ID = 4
_SEALED = _KEY_ID + _NONCE  # where the ciphertext starts
_HKDF_INFO = b"caseapp field encryption v2: AES-256-GCM"


def _derive(secrets: list[bytes], info: bytes) -> tuple[tuple[bytes, AESGCM],
                                                        dict[bytes, AESGCM]]:
    ciphers = []
    for secret in secrets:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                       info=info).derive(secret)
        key_id = hashlib.sha256(derived).digest()[:_KEY_ID]
        ciphers.append((key_id, AESGCM(derived)))
    return ciphers[0], dict(ciphers)


@lru_cache(maxsize=1)
def _sealers() -> tuple[tuple[bytes, AESGCM], dict[bytes, AESGCM]]:
    """``(newest key's (id, cipher), every cipher by key id)``, built once per process."""
    return _derive([base64.urlsafe_b64decode(key) for key in _keys()[0]], _HKDF_INFO)


_COOKIE_INFO = b"caseapp draft cookie v1: AES-256-GCM"


@lru_cache(maxsize=1)
def _cookie_sealers() -> tuple[tuple[bytes, AESGCM], dict[bytes, AESGCM]]:
    """Keys for the public draft cookie alone, derived (HKDF, their own label) from
    ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``: not from the field keys, so rotating those
    leaves drafts alone, and Django's own key rotation keeps drafts readable meanwhile."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return _derive([s.encode() for s in secrets], _COOKIE_INFO)


class UnreadableToken(ValueError):
    """A stored value that none of the configured keys opens, or that is not a token."""


def encrypt(text: str, context: str = "", *, _sealers=_sealers) -> str:
    """Seal ``text``; ``context`` (the column) must be given again to open it."""
    (key_id, cipher), _all = _sealers()
    nonce = os.urandom(_NONCE)  # random 96-bit nonces: far below 2**32 values per key
    sealed = cipher.encrypt(nonce, text.encode("utf-8"), context.encode())
    return PREFIX + base64.b64encode(key_id + nonce + sealed).decode("ascii")


def decrypt(token: str, context: str = "") -> str:
    return _open(token, context.encode())


def cookie_encrypt(text: str, context: str) -> str:
    """Seal ``text`` for a cookie, under the cookie keys (``_cookie_sealers``)."""
    return encrypt(text, context, _sealers=_cookie_sealers)


def cookie_decrypt(token: str, context: str) -> str:
    if not token.startswith(PREFIX):
        raise UnreadableToken("not a sealed cookie")
    return _open(token, context.encode(), _sealers=_cookie_sealers)


def _open(token: str, context: bytes, *, _sealers=_sealers) -> str:
    if not token.startswith(PREFIX):
        try:
            return fernet().decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise UnreadableToken("not readable with CASEAPP_FIELD_KEYS") from exc
    try:
        # Lenient base64 is safe here: the GCM tag fails on any altered byte.
        raw = binascii.a2b_base64(token[len(PREFIX):])
        return (_sealers()[1][raw[:_KEY_ID]]
                .decrypt(raw[_KEY_ID:_SEALED], raw[_SEALED:], context).decode("utf-8"))
    except (KeyError, ValueError, InvalidTag) as exc:
        raise UnreadableToken("not readable with CASEAPP_FIELD_KEYS") from exc


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def normalise_name(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(folded.split())


def name_tokens(name: str) -> list[str]:
    """The words of a name as the token search matches them: case, accents and punctuation
    inside a word folded away ("María" = "maria", "O'Brien" = "obrien"), hyphenated parts
    apart ("Smith-Jones" gives "smith" and "jones"); single letters (initials) left out, since
    they would match a large share of everyone and say little."""
    decomposed = unicodedata.normalize("NFKD", normalise_name(name))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    tokens = []
    for part in plain.replace("-", " ").replace("‐", " ").split():
        word = "".join(char for char in part if char.isalnum())
        if len(word) > 1 and word not in tokens:
            tokens.append(word)
    return tokens


def name_token_index(token: str) -> str:
    """A name token's blind index, in its own domain so it never equals a full name's."""
    return blind_index(f"name-token:{token}")


def blind_index(value: str) -> str:
    """A keyed hash: equal inputs match, but the database alone cannot reveal the input."""
    if not value:
        return ""
    digest = hmac.new(_keys()[1], value.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


def keyed_digest(value: str, *, purpose: str) -> str:
    """A keyed hash (HMAC-SHA256 under the blind-index key) for one purpose: what a table may
    keep of a secret or a personal value it must recognise but never show."""
    digest = hmac.new(_keys()[1], f"{purpose}\0{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class EncryptedTextField(models.TextField):
    """A text column stored sealed (see the module); empty stays empty. The column's
    ``table.column`` is the associated data, so a value copied into another column does not
    open there."""

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.context = f"{cls._meta.db_table}.{self.column}"
        self._context_bytes = self.context.encode()

    def open(self, value: str | None) -> str | None:
        """This column's stored value, opened (also for values read without the model)."""
        if not value:
            return value
        try:
            return _open(value, self._context_bytes)
        except UnreadableToken as exc:
            raise UnreadableToken(
                f"{self.model.__name__}.{self.name} cannot be read with CASEAPP_FIELD_KEYS"
            ) from exc

    def from_db_value(self, value, expression, connection):
        return self.open(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value, self.context)
