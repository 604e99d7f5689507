"""Embedded defaults: a private PostgreSQL (pgserver) when no DATABASE_URL is configured.

The server's data lives in `.data/pg` (or EMBEDDED_PG_DIR) and it listens on a Unix socket in
that folder only, never on a TCP port. Every process that uses it (`run.py`, a `flask --app app`
command run beside it) holds a handle; the last one to exit stops the server, so stopping the bot
stops the database it started.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / ".data" / "pg"
_HANDLES = ".handle_pids.json"  # pgserver's list of the processes holding the server


def resolve_database_url(cfg: dict) -> str:
    """Return DATABASE_URL, starting (or joining) the embedded PostgreSQL when none is set."""
    if cfg.get("DATABASE_URL"):
        return cfg["DATABASE_URL"]
    server = _server(Path(cfg.get("EMBEDDED_PG_DIR") or DEFAULT_DATA_DIR))
    url = server.get_uri()
    cfg["DATABASE_URL"] = url
    cfg["EMBEDDED_PG_DIR"] = str(server.pgdata)
    cfg["DATABASE_EMBEDDED"] = True
    return url


def socket_dir(url: str) -> str:
    """The folder of the Unix socket an embedded-server URL points at."""
    return parse_qs(urlsplit(url).query).get("host", [""])[0]


def _server(data_dir: Path):
    # pgserver's own progress (initdb's whole output among it) is noise at startup.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: "XDG_RUNTIME_DIR is not set"
        import pgserver  # only needed for the embedded default

        data_dir = data_dir.expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(data_dir)
        # cleanup_mode="stop": the last process holding a handle stops the server at exit.
        return pgserver.get_server(str(data_dir), cleanup_mode="stop")


def _forget_dead_handles(data_dir: Path) -> None:
    """Drop processes that died without letting go (killed), so the last live one can stop it."""
    path = data_dir / _HANDLES
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
