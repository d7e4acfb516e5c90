"""Field encryption at rest (Fernet) and blind indexes (HMAC-SHA256) for personal data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import unicodedata
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


def generate_key_file_text() -> str:
    return (
        f"CASEAPP_FIELD_KEYS={Fernet.generate_key().decode()}\n"
        f"CASEAPP_BLIND_INDEX_KEY={secrets.token_urlsafe(32)}\n"
    )


def _local_keys() -> dict[str, str]:
    """Read (creating on first use) the git-ignored local key file; development only."""
    path = settings.FIELD_KEY_FILE
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


@lru_cache(maxsize=1)
def fernet() -> MultiFernet:
    # Built once per process: key parsing showed up in the export's profile.
    return MultiFernet([Fernet(key) for key in _keys()[0]])


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode("ascii")).decode("utf-8")


def reencrypt(token: str) -> str:
    """Re-encrypt under the first key; older keys only need to read."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def normalise_name(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(folded.split())


def blind_index(value: str) -> str:
    """A keyed hash: equal inputs match, but the database alone cannot reveal the input."""
    if not value:
        return ""
    digest = hmac.new(_keys()[1], value.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


class EncryptedTextField(models.TextField):
    """A text column whose value is stored as a Fernet token; empty stays empty."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        try:
            return decrypt(value)
        except InvalidToken as exc:
            raise InvalidToken(
                f"{self.model.__name__}.{self.name} cannot be read with CASEAPP_FIELD_KEYS"
            ) from exc

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)
