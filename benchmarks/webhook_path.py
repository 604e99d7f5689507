"""The webhook's own Python per request, on one thread: signed ~1 KB deliveries through the WSGI
app (POST /webhook: read, verify, decode, parse, the delivery rows and their JSON), with the
group commit replaced by a writer that sends each batch through the real statement builder
(`conversations.send_inbound`) to a connection without a database, which writes the parameter
as psycopg would and answers at once: no database or network time is counted.

    python -m benchmarks.webhook_path [--requests 20000] [--repeat 5] [--root OTHER_CHECKOUT]
                                      [--gap MS]

With --root the app is imported from another checkout (say, a `git worktree` of the commit
before a change) and measured the same way. Prints the best of --repeat timings, in µs per
request. Under load a web process pays several times this per delivery (16 threads share its
GIL and its caches; docs/PERFORMANCE.md §14), so this shows what a change to the request's own
code is worth, not the webhook's throughput (`benchmarks.webhook_ack` and `webhook_ab` measure
that).

With --gap, each request is also timed alone after the thread slept MS milliseconds (as a web
thread does between deliveries at a steady rate), and the median printed beside the median of
requests timed back to back: what the same Python costs on a core that idled meanwhile
(docs/PERFORMANCE.md, section 28).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import timeit
from pathlib import Path


class _Writer:
    """Stands in for the webhook's group commit: the batch goes through the real
    `conversations.send_inbound` on a connection that writes the statement's parameter as
    psycopg would (its rows as JSON) and answers every delivery as stored, joining a queued
    turn."""

    def run(self, writes, order=None, one_statement=False):
        from app.storage import conversations

        return conversations.send_inbound(_Connection(), [writes])[0]()


class _Connection:
    """What `send_inbound` needs of a connection: `execute`, here without a database."""

    def execute(self, query, params):
        rows = params["rows"]  # a psycopg Jsonb: its dumper writes it with its own `dumps`
        rows.dumps(rows.obj)
        return _Cursor(rows.obj)


class _Cursor:
    def __init__(self, rows: list) -> None:
        self.rows = rows

    def fetchall(self) -> list:
        return [
            {
                "channel": row["channel"],
                "external_id": row["external_id"],
                "id": 1,
                "customer_id": 1,
                "job_id": 1,
                "new_job": False,
            }
            for row in self.rows
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--root", type=Path, help="another checkout to import the app from")
    parser.add_argument("--gap", type=float, help="also time requests one by one, MS apart")
    args = parser.parse_args()
    if args.root:
        sys.path.insert(0, str(args.root.resolve()))

    from benchmarks.common import create_database, drop_database
    from benchmarks.webhook_ack import bot_env, envelope, seed, signed

    name, url = create_database()
    try:
        seed(url, 0)
        from app import create_app

        saved = dict(os.environ)
        os.environ.update(bot_env(url))  # the app reads its configuration from the environment
        try:
            app = create_app()
        finally:  # drop_database below connects with the environment's own DATABASE_URL
            os.environ.clear()
            os.environ.update(saved)
        app.extensions["webhook_commits"] = _Writer()
        bodies = [signed(envelope(i, 2000)) for i in range(1000)]
        environs = [_environ(raw) for raw in bodies]

        def post(i=iter(range(10**9))):
            environ = dict(environs[next(i) % len(environs)])
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"])
            body = b"".join(app.wsgi_app(environ, _start_response))
            assert body == b"ok", body

        for _ in range(500):
            post()
        best = min(timeit.repeat(post, number=args.requests, repeat=args.repeat))
        where = args.root or "this checkout"
        print(f"{where}: {best / args.requests * 1e6:.1f} µs per request (best of {args.repeat})")
        if args.gap is not None:
            one_by_one(post, args.gap / 1000)
    finally:
        drop_database(name)


def one_by_one(post, gap: float, count: int = 500) -> None:
    """Median time of one request: back to back, then each after sleeping `gap` s (in turns)."""
    timings: dict[float, list[float]] = {0.0: [], gap: []}
    for i in range(2 * count):
        pause = gap if i % 2 else 0.0
        if pause:
            time.sleep(pause)  # the idle time being measured, not a wait for something
        started = time.perf_counter()
        post()
        timings[pause].append(time.perf_counter() - started)
    warm, cold = (statistics.median(timings[k]) * 1e6 for k in (0.0, gap))
    print(
        f"one request at a time: median {warm:.1f} µs right after another,"
        f" {cold:.1f} µs after {gap * 1000:g} ms idle ({cold / warm:.1f} ×)"
    )


def _environ(raw: bytes) -> dict:
    """The WSGI environ of one raw HTTP request from `signed` (its body kept as bytes)."""
    head, body = raw.split(b"\r\n\r\n", 1)
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/webhook", "wsgi.input": body}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, value = line.split(": ", 1)
        key = key.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            environ[f"HTTP_{key}"] = value
    return environ


def _start_response(status, headers, exc_info=None):
    assert status.startswith("200"), status


if __name__ == "__main__":
    main()
