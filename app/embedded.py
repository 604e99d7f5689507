"""Embedded defaults: a private PostgreSQL (pgserver) when no DATABASE_URL is configured."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / ".data" / "pg"
_server = None


def resolve_database_url(cfg: dict) -> str:
    """Return DATABASE_URL, starting the embedded PostgreSQL when none is configured."""
    global _server
    if cfg.get("DATABASE_URL"):
        return cfg["DATABASE_URL"]
    if _server is None:
        import pgserver  # only needed for the embedded default

        data_dir = Path(cfg.get("EMBEDDED_PG_DIR") or DEFAULT_DATA_DIR)
        data_dir.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None keeps the server and its data between runs.
        _server = pgserver.get_server(str(data_dir), cleanup_mode=None)
        log.warning("DATABASE_URL is not set: using the embedded PostgreSQL in %s", data_dir)
    url = _server.get_uri()
    cfg["DATABASE_URL"] = url
    return url
