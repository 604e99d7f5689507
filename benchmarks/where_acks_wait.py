"""Where the webhook's acks wait at a steady rate: who has the cores, who waits for them.

    python -m benchmarks.where_acks_wait [--worker] [--backlog 10000] [--rate 300]
                                         [--seconds 15] [KEY=VALUE ...]

Starts the bot as `benchmarks.webhook_ack` does (gunicorn, 2 processes of 16 threads, the fake
model and Graph API in a process of their own) on a fresh database with `--backlog` queued turns
(only with `--worker`: then a job worker drains them meanwhile), sends signed deliveries at
`--rate` a second for `--seconds`, and prints the acks' percentiles and, for each group of
processes (the web processes; the PostgreSQL sessions serving them; the job worker; the sessions
serving it; the fakes; the load generator), its CPU, the time its threads spent runnable but
waiting for a core (the kernel's schedstat run delay) per second and per ack, and its time
slices a second; then what the web processes' PostgreSQL sessions were waiting on when sampled
every 5 ms. KEY=VALUE settings go to the bot's processes (say WEB_SCHED_BATCH=off).
docs/PERFORMANCE.md, section 28.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import subprocess
import threading
import time

import psycopg

from benchmarks.common import (
    DEFAULT_ADMIN_URL,
    Fakes,
    Gunicorn,
    Worker,
    create_database,
    drop_database,
    open_loop,
    percentile,
)
from benchmarks.webhook_ack import _wait_until_working, bot_env, counts, deliveries, seed


def threads_of(pid: int) -> list[int]:
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def schedstat(pids: list[int]) -> tuple[int, int, int]:
    """Summed over every thread of `pids`: ns on a core, ns runnable and waiting, time slices."""
    total = [0, 0, 0]
    for pid in pids:
        for tid in threads_of(pid):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    values = f.read().split()
            except OSError:
                continue  # the thread ended
            for i in range(3):
                total[i] += int(values[i])
    return total[0], total[1], total[2]


def sessions(admin: str, database: str) -> list[tuple[int, int | None]]:
    """(backend pid, pid of the client process) of each session on `database`."""
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid, client_port FROM pg_stat_activity"
            " WHERE datname = %s AND client_port IS NOT NULL",
            (database,),
        ).fetchall()
    owner = {}
    out = subprocess.run(["ss", "-tnpH"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) > 5 and "pid=" in line:
            port = int(fields[3].rsplit(":", 1)[1])
            owner[port] = int(line.split("pid=")[1].split(",")[0])
    return [(pid, owner.get(port)) for pid, port in rows]


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help="a job worker drains the backlog")
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("settings", nargs="*", metavar="KEY=VALUE")
    a = parser.parse_args()
    os.environ.update(dict(item.split("=", 1) for item in a.settings))
    admin = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_ADMIN_URL

    name, url = create_database()
    try:
        seed(url, a.backlog if a.worker else 0)
        with Fakes() as fakes, Gunicorn("app:create_app()", bot_env(url, fakes)) as bot:
            asyncio.run(open_loop(bot.port, deliveries(200, 2000), rate=200))  # warm
            worker = Worker(bot_env(url, fakes)) if a.worker else None
            if worker:
                worker.__enter__()
            try:
                if worker:
                    _wait_until_working(url, 0)
                web = children(bot.proc.pid)
                backends = sessions(admin, name)
                worker_pids = [p.pid for p in worker.procs] if worker else []
                web_sessions = [b for b, client in backends if client in web]
                groups = {
                    "web processes": web,
                    "their PostgreSQL sessions": web_sessions,
                    "job worker": worker_pids,
                    "its PostgreSQL sessions": [b for b, c in backends if c in worker_pids],
                    "fake model and Graph API": [fakes.proc.pid],
                    "load generator": [os.getpid()],
                }
                waits: collections.Counter = collections.Counter()
                stop = threading.Event()

                def sample() -> None:
                    with psycopg.connect(admin, autocommit=True) as conn:
                        while not stop.is_set():
                            for pid, state, kind, event in conn.execute(
                                "SELECT pid, state, wait_event_type, wait_event"
                                " FROM pg_stat_activity WHERE datname = %s",
                                (name,),
                            ):
                                if pid in web_sessions and state == "active":
                                    waits[f"{kind}:{event}" if kind else "on a core"] += 1
                            stop.wait(0.005)  # a sample every 5 ms

                sampler = threading.Thread(target=sample, daemon=True)
                before = {g: schedstat(p) for g, p in groups.items()}
                turns0, t0 = counts(url)["turns"], time.monotonic()
                sampler.start()
                lat, statuses, _ = asyncio.run(
                    open_loop(bot.port, deliveries(int(a.rate * a.seconds), 2000), a.rate)
                )
                stop.set()
                sampler.join()
                secs = time.monotonic() - t0
                after = {g: schedstat(p) for g, p in groups.items()}
                turns = counts(url)["turns"] - turns0
            finally:
                if worker:
                    worker.__exit__(None, None, None)
    finally:
        drop_database(name)

    ms = [x * 1000 for x in lat]
    acks = len(ms)
    print(
        f"{acks} acks at {a.rate:.0f}/s ({statuses}): p50 {percentile(ms, 50):.1f},"
        f" p90 {percentile(ms, 90):.1f}, p99 {percentile(ms, 99):.1f}, max {max(ms):.1f} ms"
        + (f"; the worker did {turns / secs:.1f} turns/s" if a.worker else "")
    )
    print(
        f"{'':28} {'procs':>5} {'CPU %':>6} {'CPU ms/ack':>10}"
        f" {'waiting for a core ms/s':>24} {'µs/ack':>7} {'slices/s':>9}"
    )
    for group, pids in groups.items():
        cpu, delay, slices = (x - y for x, y in zip(after[group], before[group], strict=True))
        print(
            f"{group:28} {len(pids):5} {cpu / 1e7 / secs:6.1f} {cpu / 1e6 / acks:10.2f}"
            f" {delay / 1e6 / secs:24.1f} {delay / 1e3 / acks:7.0f} {slices / secs:9.0f}"
        )
    total = sum(waits.values()) or 1
    print(
        f"the web processes' sessions, active in {sum(waits.values())} samples: "
        + ", ".join(f"{k} {v * 100 / total:.0f}%" for k, v in waits.most_common(6))
    )


if __name__ == "__main__":
    main()
