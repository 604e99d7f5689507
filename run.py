"""Run the whole bot for development: web app and worker in one process.

`python run.py` with nothing configured starts an embedded PostgreSQL, migrates it, seeds the
demo business and runs in mock mode with the model-free booking flow. Ctrl-C (or SIGTERM, or
closing the terminal) stops the web app, the worker and the embedded PostgreSQL it started.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
import sys
import threading

from werkzeug.serving import make_server

from app.config import ConfigError, load_config

log = logging.getLogger("run")


def main() -> int:
    try:
        cfg = load_config()
        server = listen(cfg["HOST"], cfg["PORT"])  # before anything slow: a busy port fails first
    except ConfigError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 2
    # Ctrl-C, SIGTERM and a closed terminal (SIGHUP) stop the server loop; atexit handlers (the
    # embedded database) still run.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _exit_on_sigterm)
    try:
        app = start(server)
    except ConfigError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 2
    worker = Worker(app)
    worker.start()
    print(banner(app), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        print("\nstopping: web app, worker" + (", embedded PostgreSQL" if embedded(app) else ""))
        server.server_close()
        worker.stop()
    return 0


def listen(host: str, port: int):
    """Bind the web port now, with a placeholder app, so a busy port is the first error."""
    try:
        with socket.create_server((host, port), reuse_port=False) as probe:
            probe.close()  # free: werkzeug binds it again at once (it exits on errors itself)
        return make_server(host, port, _Deferred(), threaded=True)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"PORT={port} is already in use on {host} (is the bot already running?): "
                f"stop what listens there or choose another, e.g. PORT={port + 1} ./scripts/run.sh"
            ) from exc
        raise ConfigError(f"cannot listen on HOST={host} PORT={port}: {exc.strerror}") from exc


def start(server):
    """Create the app (embedded database included), migrate, seed the demo business."""
    from app import create_app
    from app.commands import seed_demo
    from app.storage.migrate import migrate

    quiet = ("werkzeug", "app.storage.migrate")  # per-request and per-migration lines
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    app = create_app({"STARTUP_BANNER": True})  # the banner below says what the warnings would
    app.config["APPLIED_MIGRATIONS"] = migrate(app.config["DATABASE_URL"])
    app.config["DEMO_BUSINESS"] = seed_demo(app.config)
    server.app.target = app
    return app


class Worker:
    """The job worker in a thread, stopped cleanly (running jobs finish) on shutdown."""

    def __init__(self, app) -> None:
        self.app = app
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="worker", daemon=True)

    def start(self) -> None:
        self.thread.start()
        self.ready.wait(10)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        from app import jobs

        self.loop = asyncio.get_running_loop()
        self.task = asyncio.current_task()
        self.ready.set()
        try:
            await jobs.run_worker_async(self.app, install_signal_handlers=False)
        except asyncio.CancelledError:
            pass

    def stop(self, timeout: float = 15.0) -> None:
        if self.loop is not None and self.task is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(timeout)


class _Deferred:
    """A WSGI app that answers 503 until the real one is set (between bind and ready)."""

    target = None

    def __call__(self, environ, start_response):
        if self.target is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting\n"]
        return self.target(environ, start_response)


def embedded(app) -> bool:
    return bool(app.config.get("DATABASE_EMBEDDED"))


def banner(app) -> str:
    """What runs, where the data is, and what to try next: a few lines instead of the logs."""
    from app.embedded import socket_dir

    cfg = app.config
    url = f"http://{'localhost' if cfg['HOST'] in ('127.0.0.1', '0.0.0.0') else cfg['HOST']}"
    url += f":{cfg['PORT']}"
    if embedded(app):
        data = (
            f"embedded PostgreSQL in {cfg['EMBEDDED_PG_DIR']} (Unix socket only, no TCP port)\n"
            f"               open it: .venv/bin/flask --app app psql   (or: psql "
            f"'postgresql://postgres@/postgres?host={socket_dir(cfg['DATABASE_URL'])}')"
        )
    else:
        data = "PostgreSQL at DATABASE_URL"
    mode = (
        "MOCK_MODE: replies are recorded, not sent to WhatsApp"
        + ("; unsigned webhooks accepted" if not cfg["APP_SECRET"] else "")
        if cfg["MOCK_MODE"]
        else "live: replies are sent to WhatsApp"
    )
    model = (
        f"{cfg['OPENAI_MODEL']} at {cfg['OPENAI_BASE_URL'] or 'OpenAI'}"
        if cfg["OPENAI_API_KEY"]
        else "none: the model-free booking flow answers (set OPENAI_API_KEY for a model)"
    )
    business_id, created = cfg["DEMO_BUSINESS"]
    migrations = cfg["APPLIED_MIGRATIONS"]
    return "\n".join(
        [
            "",
            f"Booking bot running on {url}",
            f"  data:        {data}",
            f"  mode:        {mode}",
            f"  model:       {model}",
            f"  demo:        Demo Salon (business {business_id}, phone_number_id "
            f"{cfg['PHONE_NUMBER_ID']}, Messenger page {cfg['MESSENGER_PAGE_ID'] or 'none'})"
            f"{', created' if created else ''}"
            + (f"; {len(migrations)} migration(s) applied" if migrations else ""),
            "  try:         .venv/bin/python replay_fixture.py --chat   (in another terminal)",
            "  stop:        Ctrl-C"
            + (" (stops the embedded PostgreSQL too)" if embedded(app) else ""),
            "",
        ]
    )


def _exit_on_sigterm(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
