"""Secrets kept at rest, encrypted (Fernet: AES-128-CBC with an HMAC-SHA256, from ``cryptography``).

Used for what the server must read back in clear later (an identity provider's client
secret, a data source's password), never for what it only compares (passwords, tokens:
those are hashed). The keys come from the environment through ``settings.SECRETS_KEYS``:
the first encrypts, every one of them decrypts, so a key is rotated by putting the new one
first and re-saving. Without ``SECRETS_KEYS`` in the environment the settings derive one
from ``SECRET_KEY`` (so changing that key then makes stored secrets unreadable: set
``SECRETS_KEYS`` in production, see SECURITY.md).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys opens (a key was removed, or the
    value was altered)."""


def derived_key(secret_key: str) -> str:
    """A Fernet key derived from Django's ``SECRET_KEY``, when ``SECRETS_KEYS`` is not set."""
    digest = hashlib.sha256(b"okrkpi.core.secrets:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _fernet() -> MultiFernet:
    keys: list[str] = list(getattr(settings, "SECRETS_KEYS", None) or [])
    if not keys:
        raise ImproperlyConfigured("SECRETS_KEYS is empty: nothing can encrypt a stored secret.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"SECRETS_KEYS holds a key that is not a Fernet key: {exc}") from None


def encrypt(plain: str) -> str:
    """The text encrypted with the first configured key (a different value every call)."""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The text back; ``SecretUnreadable`` when no configured key opens it."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable("No configured key opens this secret.") from None
