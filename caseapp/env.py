"""Typed readers of the environment, for settings.py.

Each reader returns the default when the variable is unset or empty, and otherwise refuses a
value it cannot read with an error that names the variable and what it takes: a typo in a
deployment's environment stops the start instead of quietly becoming a default. Values of
secret variables are never echoed (see ``env_secret``).
"""

from __future__ import annotations

import base64
import binascii
import os
import re

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_RATE = re.compile(r"^[1-9][0-9]*/[0-9]*[smhd]$")


def _raw(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def env_str(name: str, default: str = "") -> str:
    return _raw(name) or default


def env_secret(name: str) -> str:
    """A secret: empty when unset; its value never appears in an error."""
    return _raw(name) or ""


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (or true/false, yes/no, on/off), "
                               f"not {value!r}.")


def env_debug(name: str) -> bool:
    """Development mode: on only for exactly 1; 0 or unset is production. Anything else (even
    "true") is refused rather than read either way."""
    value = _raw(name) or "0"
    if value not in ("0", "1"):
        raise ImproperlyConfigured(f"{name} must be 1 (development) or 0 (production, the "
                                   f"default when unset), not {value!r}.")
    return value == "1"


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number (e.g. 30 or 0.5), not {value!r}."
                                   ) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ImproperlyConfigured(f"{name} must be a finite number, not {value!r}.")
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum:g}, not {number:g}.")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated list; blanks around and between the items are dropped."""
    return [item.strip() for item in (_raw(name) or default).split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    """A rate as caseapp.ratelimit reads it: ``20/h``, ``5/m``, ``100/10m``, ``1000/d``."""
    value = _raw(name) or default
    if not _RATE.match(value):
        raise ImproperlyConfigured(
            f"{name} must be a count per period such as 20/h, 5/m, 100/10m or 1000/d "
            f"(s, m, h, d), not {value!r}.")
    return value


def field_keys_check(name: str, keys: list[str]) -> None:
    """Every field key is a Fernet-format key: 32 random bytes in URL-safe base64."""
    for position, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ImproperlyConfigured(
                f"{name}: key {position} of {len(keys)} is not 32 bytes in URL-safe base64. "
                f"{GENERATE_FIELD_KEYS}")


GENERATE_SECRET_KEY = ("Generate one with: "  # noqa: S105 (how to make one, not one)
                       "python -c 'import secrets; print(secrets.token_urlsafe(50))'")
GENERATE_FIELD_KEYS = ("Generate both once, into your secret store, with: "
                       "DJANGO_DEBUG=1 python manage.py generate_field_keys "
                       "(back them up apart from the database: without them the personal data "
                       "cannot be read).")


def production_refusal(missing: list[tuple[str, str]]) -> ImproperlyConfigured:
    """One error naming every variable production lacks, what it is and how to make it."""
    lines = "\n".join(f"  - {name}: {how}" for name, how in missing)
    return ImproperlyConfigured(
        "caseapp will not start in production mode (DJANGO_DEBUG is not 1) until these are "
        f"set in the environment:\n{lines}\n"
        "docs/deploy.md lists every setting. For development on your own machine, set "
        "DJANGO_DEBUG=1 instead (make run and make demo do).")
