"""A real gunicorn serving the app on a test database, as the README's Deployment runs it: the
project's gunicorn.conf.py (read from the project root), one worker process."""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import APP_SECRET, PHONE_NUMBER_ID, SECRET_KEY, VERIFY_TOKEN

ROOT = Path(__file__).resolve().parent.parent

# The README's flags for each worker class (Deployment), on one worker process.
WORKER_FLAGS = {
    "gevent": ("--worker-connections", "1000", "--keep-alive", "10"),
    "gthread": ("--threads", "16", "--keep-alive", "10"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed(body: bytes, secret: str = APP_SECRET) -> dict:
    """Headers of a delivery signed as Meta signs it."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}


class Gunicorn:
    """`gunicorn -w 1 -k <worker>` on `db_url`, started at once; its output goes to a file (a
    pipe nobody reads would stop a long-lived server once it fills)."""

    def __init__(self, db_url: str, *extra: str, worker: str = "gevent", env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {
            **os.environ,
            "DATABASE_URL": db_url,
            "APP_SECRET": APP_SECRET,
            "VERIFY_TOKEN": VERIFY_TOKEN,
            "SECRET_KEY": SECRET_KEY,
            "MOCK_MODE": "false",
            "PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "RETENTION_PURGE": "false",
            "GOOGLE_SYNC_INTERVAL": "0",
            **(env or {}),
        }
        cmd = [sys.executable, "-m", "gunicorn", "-w", "1", "-k", worker, *WORKER_FLAGS[worker]]
        # No control socket: gunicorn's default path is one per user, shared by every server
        # (and test process) started meanwhile.
        cmd += ["--no-control-socket", "-b", f"127.0.0.1:{self.port}", *extra, "app:create_app()"]
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=environ, stdout=self._log, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        """What the server has written so far."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def until_listening(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited at startup: {self.output()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)  # the worker is still loading the app
        pytest.fail("gunicorn did not listen within 60 s")

    def stop(self, *, by_itself: bool = False) -> str:
        """SIGTERM, as a deployment stops it (`by_itself`: wait for it to exit on its own);
        its output. Killed if it has not exited within 60 s."""
        try:
            if not by_itself and self.proc.poll() is None:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            finally:
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()
            return self.output()
        finally:
            self._log.close()
