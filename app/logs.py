"""Logging: JSON lines in production, readable lines in development; request ids; no secrets."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
from urllib.parse import unquote

from app.privacy import SecretFilter

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
SECRET_SETTINGS = (
    "APP_SECRET",
    "VERIFY_TOKEN",
    "SECRET_KEY",
    "ACCESS_TOKEN",
    "OPENAI_API_KEY",
    "FALLBACK_OPENAI_API_KEY",
    "PAGE_ACCESS_TOKEN",
    "LANGFUSE_SECRET_KEY",
    "ADMIN_PASSWORD",
    "METRICS_TOKEN",
)
_HANDLER_NAME = "wa-booking-bot"
# Where a database URL or connection string holds its password: the URL's user info (up to its
# last "@"), a `password=` query parameter, or a `password=` keyword.
_DATABASE_PASSWORDS = (
    re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^@:/]*:(.*)@"),
    re.compile(r"[?&]password=([^&#]*)"),
    re.compile(r"(?:^|\s)password\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))"),
)


def database_passwords(url: str) -> list[str]:
    """The password a database URL or connection string holds, as written and decoded. An error
    about a URL that does not parse quotes it (psycopg's pool logs one for every failed connect:
    "unexpected spaces found in \"<password>\""), so the logs redact it like a secret setting."""
    found = []
    for pattern in _DATABASE_PASSWORDS:
        for match in pattern.finditer(url or ""):
            value = next((g for g in match.groups() if g), "")
            found += [value, unquote(value), re.sub(r"\\(.)", r"\1", value)]
    return list(dict.fromkeys(value for value in found if value))


def valid_request_id(value: str) -> bool:
    """Whether a caller's X-Request-ID may be kept as ours (short, no spaces or markup)."""
    return bool(_REQUEST_ID.match(value))


def new_request_id() -> str:
    """A fresh request id: 32 random hex digits (uuid4's length, at a quarter of its cost)."""
    return os.urandom(16).hex()


class StderrHandler(logging.StreamHandler):
    """Write to whatever sys.stderr is at the time (so redirection and capture see our lines)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


class RequestIdFilter(logging.Filter):
    """Stamp every record with the request id of the request or turn it belongs to."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure(config) -> None:
    """Install our handler on the root logger (once per process; reconfigured on each call)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = StderrHandler()
        handler.set_name(_HANDLER_NAME)
        root.addHandler(handler)
    development = config.get("MOCK_MODE") or config.get("FLASK_DEBUG")
    fmt = config.get("LOG_FORMAT") or ("text" if development else "json")
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    handler.filters.clear()
    handler.addFilter(RequestIdFilter())
    secrets = [config.get(k) or "" for k in SECRET_SETTINGS]
    handler.addFilter(SecretFilter(secrets + database_passwords(config.get("DATABASE_URL") or "")))
    root.setLevel(logging.DEBUG if config.get("FLASK_DEBUG") else logging.INFO)
    # procrastinate logs every job at INFO; its warnings are what operators need.
    logging.getLogger("procrastinate").setLevel(config.get("QUEUE_LOG_LEVEL") or "WARNING")
    # The HTTP clients log every request at INFO; the trace already records each model call.
    for name in ("httpx", "httpx2", "openai", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)
