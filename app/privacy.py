"""Keep people's data and our secrets out of logs and traces."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import re

# WhatsApp ids are bare digits; 8–15 of them (optionally after "+") are treated as a phone number.
PHONE = re.compile(r"(?<![\w.])\+?\d{8,15}(?![\w.])")
SECRET_KEYS = re.compile(r"(?:^|_)(token|secret|password|api_?key|authorization|key)$", re.I)


def pseudonym(value: str | None, key: str) -> str:
    """A stable keyed hash of an identifier (phone number, name): joinable, not reversible."""
    if not value:
        return ""
    digest = hmac.new(key.encode() or b"no-key", str(value).encode(), hashlib.sha256)
    return "h:" + digest.hexdigest()[:16]


def address_hash(key: str, channel: str, address: str) -> str:
    """The keyed hash an erased customer keeps of their address: recognises a redelivered old
    message of theirs, cannot be turned back into the number (nor guessed without the key)."""
    digest = _keyed(key).copy()  # the key's HMAC state, prepared once (the webhook's hot path)
    digest.update(f"erased-address:{channel}:{address}".encode())
    return digest.hexdigest()


def request_fingerprint(key: str, fields: dict) -> str:
    """A keyed hash of a request's fields (they may name a person): equal for the same request,
    and neither readable nor guessable without the key."""
    digest = _keyed(key).copy()
    digest.update(b"request:" + json.dumps(fields, sort_keys=True, default=str).encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def _keyed(key: str) -> hmac.HMAC:
    """An HMAC-SHA256 keyed with `key` and fed nothing yet, to be copied, never updated."""
    return hmac.new(key.encode() or b"no-key", digestmod=hashlib.sha256)


def scrub(value, key: str, depth: int = 0):
    """A copy of a JSON-like value with phone numbers (in text, or as whole numbers) hashed and
    secret-named fields removed."""
    if depth > 6:
        return "…"
    if isinstance(value, dict):
        return {
            k: "[redacted]" if SECRET_KEYS.search(str(k)) else scrub(v, key, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(v, key, depth + 1) for v in value[:50]]
    if isinstance(value, str):
        return PHONE.sub(lambda m: pseudonym(m[0].lstrip("+"), key), value)[:2000]
    if isinstance(value, int) and not isinstance(value, bool) and PHONE.fullmatch(str(value)):
        return pseudonym(str(value), key)  # a number given as a JSON number, hashed as its text
    return value


# PostgreSQL's detail of a refused row quotes the row's values: a customer's number, name or
# words ("Key (business_id, channel, address)=(1, whatsapp, 34600111222) already exists.",
# "Failing row contains (…)"). A logged database error keeps what failed, not the values.
# A value may hold newlines (a message's text) and a key an expression ("Key (lower(email))=(…)"),
# so what follows is withheld up to the next section of the error or of the traceback, or its end.
ROW_VALUES = re.compile(
    r"(\bKey \(.*?\)=\(|\bFailing row contains \()"
    r".*?(?=\n(?:HINT: |CONTEXT: |STATEMENT: |\n|Traceback \(|The above exception"
    r"|During handling)|\Z)",
    re.DOTALL,
)


class SecretFilter(logging.Filter):
    """Replace configured secret values in every log record with "[redacted]", and the row
    values a database error quotes with "[row values withheld]"."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        # Short values would redact ordinary words; real secrets are long.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return ROW_VALUES.sub(r"\1[row values withheld])", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message or record.exc_info:
            if record.exc_info:
                text = logging.Formatter().formatException(record.exc_info)
                record.exc_text = self._clean(text)
                record.exc_info = None
            record.msg, record.args = cleaned, None
        return True
