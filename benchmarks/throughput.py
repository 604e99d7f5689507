"""End-to-end turns per second: signed message in through gunicorn → queue → worker → model →
reply accepted by the fake Graph API, for 1, 2 and 4 worker processes.

    python -m benchmarks.throughput [--turns 200] [--workers 1,2,4] [--delays 0,0.3]
                                    [--concurrency 4] [--no-profile] [--quick]

Each case gets a fresh database, gunicorn (-w 2 -k gthread --threads 16), N `flask --app app
worker` processes (WORKER_CONCURRENCY each) and the fake model answering after each delay.
After a warm-up (every worker has finished a turn), --turns customers write one message each
as fast as the webhook takes them; the case ends when every reply has been accepted by the
fake Graph API. Prints turns/s, turn latency (message stored → reply accepted), worker CPU
ms per turn with py-spy's split between LangChain (with the OpenAI client and pydantic), our
code, the database driver and queue, and the rest; peak worker RSS; how busy the two cores
were; and what PostgreSQL's sessions were waiting on (sampled from pg_stat_activity).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg

from benchmarks.common import (
    Fakes,
    Gunicorn,
    Worker,
    _Conn,
    create_database,
    drop_database,
    idle_percent,
    machine_ticks,
    percentile,
)
from benchmarks.webhook_ack import bot_env, seed, signed
from tests import envelopes

PHONE_NUMBER_ID = "123456123"
_ids = itertools.count()
# Whose CPU a sample is: the innermost frame in one of these (stdlib frames count for their
# caller), else "other" (the event loop, threads, the interpreter).
KINDS = (
    ("LangChain + OpenAI client", ("(langchain", "(openai/", "(pydantic", "(httpx/", "(httpcore/")),
    ("Graph API client (requests)", ("(requests/", "(urllib3/")),
    ("queue + database driver", ("(procrastinate/", "(psycopg")),
    ("our code", ("(app/",)),
)


def delivery(customer: str, text: str) -> bytes:
    """A signed text delivery from `customer`."""
    wamid = f"wamid.TP{next(_ids):09d}"
    body = envelopes.text(text, wa_id=customer, name="Bench", wamid=wamid)
    return signed(json.dumps(body).encode())


@dataclass
class Result:
    workers: int
    delay: float
    turns: int
    secs: float
    latency: list[float]
    cpu_ms: float
    split: dict[str, float]
    rss_mb: float
    busy: float
    waits: Counter
    commits: float  # transactions in the database per turn (read-only ones too)


def replies_sent(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM messages WHERE direction = 'out' AND external_id IS NOT NULL"
        ).fetchone()[0]


def wait_replies(url: str, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while replies_sent(url) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{replies_sent(url)} of {n} replies after {timeout:.0f} s")
        time.sleep(0.1)  # polling other processes' progress


def commits(url: str) -> int:
    """Transactions committed in the database so far (as its sessions have reported)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]


class WaitSampler:
    """What this database's active sessions wait on, sampled every 20 ms."""

    def __init__(self, url: str):
        self.url = url
        self.waits: Counter = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(0.02):
                for (event,) in conn.execute(
                    "SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU')"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state = 'active' AND pid <> pg_backend_pid()"
                ):
                    self.waits[event] += 1


def profile(pid: int, out: Path) -> subprocess.Popen | None:
    """py-spy sampling the process's on-GIL stacks, if py-spy is installed."""
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if not spy:
        return None
    return subprocess.Popen(
        [
            spy,
            "record",
            "--gil",
            "--nonblocking",
            "-r",
            "250",
            "-f",
            "raw",
            "-o",
            str(out),
            "-p",
            str(pid),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def split_samples(path: Path) -> dict[str, float]:
    """Fraction of on-GIL samples spent in each kind of code (see KINDS)."""
    counts: Counter = Counter()
    if not path.exists():
        return {}
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        counts[_kind(stack.split(";"))] += int(n)
    total = sum(counts.values()) or 1
    return {k: v / total for k, v in counts.items()}


def _kind(frames: list[str]) -> str:
    for frame in reversed(frames):
        for kind, needles in KINDS:
            if any(needle in frame for needle in needles):
                return kind
    return "other"


def run_case(args, workers: int, delay: float, tmp: Path) -> Result:
    name, url = create_database()
    try:
        seed(url, 0)
        with Fakes(delay) as fakes:
            env = bot_env(url, fakes) | {"WORKER_CONCURRENCY": str(args.concurrency)}
            with Gunicorn("app:create_app()", env) as web, Worker(env, workers) as w:
                warm = [delivery(f"3469{i:07d}", "warm up") for i in range(workers * 4)]
                asyncio.run(_post_all(web.port, warm))
                wait_replies(url, len(warm), 180)
                reqs = [
                    delivery(f"3468{i:07d}", "hello, any time tomorrow?") for i in range(args.turns)
                ]
                cpu0, ticks0, commits0 = w.cpu_seconds(), machine_ticks(), commits(url)
                spy_out = tmp / f"spy-{workers}-{delay}.txt"
                spy = profile(w.procs[0].pid, spy_out) if args.profile else None
                started = time.monotonic()
                with WaitSampler(url) as sampler:
                    asyncio.run(_post_all(web.port, reqs))
                    wait_replies(url, len(warm) + args.turns, 600)
                secs = time.monotonic() - started
                cpu, idle = w.cpu_seconds() - cpu0, idle_percent(ticks0, machine_ticks())
                if spy:
                    spy.send_signal(signal.SIGINT)  # py-spy writes its samples on SIGINT
                    spy.wait(timeout=30)
                rss = w.peak_rss_mb()
            # The processes have stopped: their sessions reported their counts as they closed.
            committed = commits(url) - commits0
        latency = _latencies(url, "3468")
    finally:
        drop_database(name)
    return Result(
        workers,
        delay,
        args.turns,
        secs,
        latency,
        cpu * 1000 / args.turns,
        split_samples(spy_out) if args.profile else {},
        rss,
        1 - idle / 100,
        sampler.waits,
        committed / args.turns,
    )


async def _post_all(port: int, reqs: list[bytes]) -> None:
    """Deliver every request, 16 at a time, as fast as the webhook takes them."""
    pending = iter(reqs)

    async def sender() -> None:
        conn = _Conn(port)
        for request in pending:
            status = await conn.send(request)
            if status != 200:
                raise RuntimeError(f"webhook answered {status}")

    await asyncio.gather(*(sender() for _ in range(16)))


def _latencies(url: str, prefix: str) -> list[float]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM o.sent_at - i.created_at) FROM messages i"
            " JOIN customers c ON c.id = i.customer_id"
            " JOIN messages o ON o.customer_id = i.customer_id AND o.direction = 'out'"
            " WHERE i.direction = 'in' AND c.address LIKE %s AND o.sent_at IS NOT NULL",
            (prefix + "%",),
        ).fetchall()
    return [float(r[0]) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200, help="turns per case")
    parser.add_argument("--workers", default="1,2,4", help="worker process counts")
    parser.add_argument("--delays", default="0,0.3", help="model answer delays, seconds")
    parser.add_argument("--concurrency", type=int, default=4, help="WORKER_CONCURRENCY")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--quick", action="store_true", help="60 turns, 1 and 2 workers")
    args = parser.parse_args()
    if args.quick:
        args.turns, args.workers = 60, "1,2"
    tmp = Path(tempfile.mkdtemp(prefix="throughput_"))
    results = [
        run_case(args, int(n), float(d), tmp)
        for d in args.delays.split(",")
        for n in args.workers.split(",")
    ]
    _print(args, results)


def _print(args, results: list[Result]) -> None:
    print(
        f"{args.turns} turns per case (one message from each of {args.turns} customers),"
        f" WORKER_CONCURRENCY={args.concurrency}, gunicorn -w 2 -k gthread --threads"
        f" {Gunicorn.THREADS}"
    )
    head = f"{'model':>6} {'workers':>7} {'turns/s':>8} {'p50 s':>6} {'p95 s':>6}"
    print(
        f"{head} {'CPU ms/turn':>11} {'RSS MB':>6} {'xacts/turn':>10} {'cores busy':>10}"
        "  PostgreSQL sessions: waiting on"
    )
    for r in results:
        waits = sum(r.waits.values()) or 1
        top = ", ".join(f"{k} {v / waits:.0%}" for k, v in r.waits.most_common(3))
        print(
            f"{r.delay * 1000:4.0f}ms {r.workers:7d} {r.turns / r.secs:8.1f}"
            f" {percentile(r.latency, 50):6.2f} {percentile(r.latency, 95):6.2f}"
            f" {r.cpu_ms:11.1f} {r.rss_mb:6.0f} {r.commits:10.1f} {r.busy:10.0%}  {top}"
        )
        if r.split:
            parts = ", ".join(
                f"{k} {v * r.cpu_ms:.1f} ms"
                for k, v in sorted(r.split.items(), key=lambda kv: -kv[1])
            )
            print(f"{'':16}worker 1 CPU per turn: {parts}")


if __name__ == "__main__":
    main()
