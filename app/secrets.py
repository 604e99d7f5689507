"""Encryption at rest for stored credentials (Fernet with a key derived from SECRET_KEY)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "enc:v1:"


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"wa-booking-bot/credentials\x00" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plaintext: str, secret_key: str) -> str:
    """Encrypt `plaintext` when a SECRET_KEY is set; store as-is otherwise."""
    if not plaintext or not secret_key:
        return plaintext
    return PREFIX + _fernet(secret_key).encrypt(plaintext.encode()).decode()


def decrypt(stored: str, secret_key: str) -> str:
    """Reverse `encrypt`; a value that was stored unencrypted comes back unchanged."""
    if not stored.startswith(PREFIX):
        return stored
    if not secret_key:
        raise ValueError("an encrypted credential needs SECRET_KEY to be read")
    try:
        return _fernet(secret_key).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("stored credential cannot be decrypted with this SECRET_KEY") from exc
