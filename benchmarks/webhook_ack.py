"""Webhook acknowledgement latency and throughput against gunicorn (-w 2 -k gthread), beside a
bare Flask+HMAC route measured in the same run.

    python -m benchmarks.webhook_ack [--rate 300] [--duration 20] [--saturation-seconds 10]
                                     [--backlog 10000] [--workers 2] [--threads 16] [--quick]
                                     [--worker-class gthread|gevent]

`--worker-class gevent` serves the bot and the bare route on gevent processes, as the README's
webhook processes run (Deployment).

Scenarios, each on a fresh database: the webhook alone (workers stopped); the same with
10,000 turns already queued (the two saturations measured twice, fresh, queued, queued, fresh,
so that a machine changing speed during the run weighs on both alike); one job worker
running on the same machine (the fake model and Graph API answering at once), with its CPU per
turn; and that worker working through a 10,000-turn backlog while deliveries arrive at --rate.
Open-loop latency counts from each request's scheduled send time; saturation is N closed-loop
senders. The bare route is measured first and last; every ratio is against their mean.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field

import psycopg

from app.channels.meta import sign
from benchmarks.common import (
    Fakes,
    Gunicorn,
    Worker,
    children,
    closed_loop,
    cpu_split,
    create_database,
    drop_database,
    idle_percent,
    machine_ticks,
    open_loop,
    percentile,
    raw_post,
)
from tests import envelopes

SECRET = "bench-secret"
PHONE_NUMBER_ID = "123456123"
_ids = itertools.count()


def envelope(i: int, customers: int) -> bytes:
    """A realistic ~1 KB text-message envelope from one of `customers` customers, with their
    business-scoped user id beside their number, as Meta's messages carry it since 2026."""
    wa_id = f"3460{i % customers:07d}"
    body = "Hi! Can I book a haircut tomorrow after 5pm, please? " * 8
    message = envelopes.text(
        body,
        wa_id=wa_id,
        name=f"Customer {i % customers}",
        wamid=f"wamid.BENCH{i:012d}",
        phone_number_id=PHONE_NUMBER_ID,
    )
    bsuid = f"ES.{13491208655302741918 + i % customers}"
    value = message["entry"][0]["changes"][0]["value"]
    value["messages"][0]["from_user_id"] = value["contacts"][0]["user_id"] = bsuid
    return json.dumps(message).encode()


def signed(body: bytes) -> bytes:
    return raw_post(
        "/webhook",
        body,
        {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, SECRET)},
    )


def deliveries(n: int, customers: int) -> list[bytes]:
    """`n` new signed deliveries (unique wamids across the run)."""
    return [signed(envelope(next(_ids), customers)) for _ in range(n)]


@dataclass
class Row:
    label: str
    rps: float
    statuses: dict
    latency: tuple[float, float, float] | None = None  # p50, p99, max ms
    notes: list[str] = field(default_factory=list)


class Run:
    """One benchmark run: its settings, the rows measured and the bare route's figures."""

    def __init__(self, args):
        self.args = args
        self.rows: list[Row] = []
        self.bare: list[float] = []

    def saturation(self, port: int, label: str) -> Row:
        a = self.args
        # Enough distinct deliveries for 10,000 a second (the webhook without its store,
        # benchmarks/nostore_app.py, passes 4,000 on a fast machine).
        reqs = iter(deliveries(int(a.saturation_seconds * 10_000), a.customers))
        count, st, secs = asyncio.run(
            closed_loop(port, lambda: next(reqs), a.concurrency, a.saturation_seconds)
        )
        row = Row(f"{label}, {a.concurrency} senders (saturation)", count / secs, st)
        self.rows.append(row)
        return row

    def open_loop(self, port: int, label: str) -> Row:
        a = self.args
        reqs = deliveries(int(a.rate * a.duration), a.customers)
        lat, st, took = asyncio.run(open_loop(port, reqs, a.rate))
        ms = [x * 1000 for x in lat]
        stats = (percentile(ms, 50), percentile(ms, 99), max(ms))
        row = Row(f"{label}, open loop {a.rate:.0f}/s", len(lat) / took, st, stats)
        self.rows.append(row)
        return row

    def duplicates(self, port: int, label: str) -> Row:
        a = self.args
        dup = deliveries(1, a.customers)[0]
        asyncio.run(closed_loop(port, lambda: dup, 1, 0.2))  # stored once, before timing
        count, st, secs = asyncio.run(
            closed_loop(port, lambda: dup, a.concurrency, a.saturation_seconds)
        )
        row = Row(f"{label}, duplicates, {a.concurrency} senders", count / secs, st)
        self.rows.append(row)
        return row

    def measure_bare(self) -> tuple[int, tuple, tuple, float]:
        """The bare route's saturation (recorded in `bare` and `rows`); returns the requests
        answered, its web processes' `cpu_split` before and after them, and the share of the
        machine's cores left idle meanwhile."""
        a = self.args
        with Gunicorn(
            "benchmarks.bare_app:create_app()",
            {"APP_SECRET": SECRET},
            workers=a.workers,
            threads=a.threads,
            worker_class=a.worker_class,
        ) as bare:
            kids = children(bare.proc.pid)
            body = signed(envelope(0, 1))
            asyncio.run(closed_loop(bare.port, lambda: body, a.concurrency, 1.0))  # warm
            before, idle0 = cpu_split(kids), machine_ticks()
            count, st, secs = asyncio.run(
                closed_loop(bare.port, lambda: body, a.concurrency, a.saturation_seconds)
            )
            after, idle = cpu_split(kids), idle_percent(idle0, machine_ticks())
        self.bare.append(count / secs)
        self.rows.append(Row(f"bare Flask+HMAC route, {a.concurrency} senders", count / secs, st))
        return count, before, after, idle


def bot_env(url: str, fakes: Fakes | None = None) -> dict[str, str]:
    env = {
        "DATABASE_URL": url,
        "APP_SECRET": SECRET,
        "VERIFY_TOKEN": "v",
        "SECRET_KEY": "k",
        "MOCK_MODE": "false",
        "PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "DB_POOL_MAX": "16",
    }
    return env | (fakes.env() if fakes else {})


def seed(url: str, backlog: int) -> None:
    """The demo business and, if asked, `backlog` queued turns stored as the webhook does: one
    message from each of `backlog` customers (a customer's later messages join their queued
    turn, so a backlog of turns is one of customers)."""
    from app import jobs
    from app.storage import businesses, conversations, db

    db.open_pool(url)
    try:
        business_id, _ = businesses.seed_demo(PHONE_NUMBER_ID)
        job = jobs.turn_job(business_id, None)
        for start in range(0, backlog, 1000):
            with db.transaction() as conn:
                for i in range(start, min(start + 1000, backlog)):
                    delivery = conversations.Delivery(
                        channel="whatsapp",
                        address=f"3461{i:07d}",
                        profile_name=f"Queued {i}",
                        external_id=f"wamid.BACKLOG{i:09d}",
                        kind="text",
                        type="text",
                        body="Hi! Can I book a haircut tomorrow after 5pm, please?",
                        payload={},
                        sent_at=None,
                        needs_turn=True,
                    )
                    conversations.store_inbound(conn, business_id, delivery, turn_job=job)
    finally:
        db.close_pool()


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM messages WHERE direction = 'in'),"
            " (SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'),"
            " (SELECT count(*) FROM turns WHERE status <> 'running')"
        ).fetchone()
    return {"messages": row[0], "queued": row[1], "turns": row[2]}


def scenario(
    run: Run,
    label: str,
    backlog: int = 0,
    worker: bool = False,
    saturate=True,
    dup=False,
    latency=True,
) -> list[Row]:
    """Measure the webhook on a fresh database, with a backlog and/or a worker running: its
    open-loop latency (unless `latency` is false), then its saturation (if `saturate`)."""
    a = run.args
    name, url = create_database()
    try:
        seed(url, backlog)
        before = counts(url)
        with (
            Fakes() as fakes,
            Gunicorn(
                "app:create_app()",
                bot_env(url, fakes),
                workers=a.workers,
                threads=a.threads,
                worker_class=a.worker_class,
            ) as bot,
        ):
            asyncio.run(open_loop(bot.port, deliveries(200, a.customers), rate=200))  # warm
            if not worker:
                rows = [run.open_loop(bot.port, label)] if latency else []
                if saturate:
                    rows.append(run.saturation(bot.port, label))
                after = counts(url)
                acked = sum(r.statuses.get(200, 0) for r in rows) + 200  # with the warm-up
                rows[-1].notes.append(
                    f"queued before: {before['queued']}; {acked} deliveries answered 200 stored"
                    f" {after['messages'] - before['messages']} messages and"
                    f" {after['queued'] - before['queued']} turn jobs"
                )
                if dup:
                    rows.append(run.duplicates(bot.port, label))
                return rows
            with Worker(bot_env(url, fakes)) as w:
                _wait_until_working(url, before["turns"])
                cpu0, turns0, t0 = w.cpu_seconds(), counts(url)["turns"], time.monotonic()
                row = (run.saturation if saturate else run.open_loop)(bot.port, label)
                cpu, turns = w.cpu_seconds() - cpu0, counts(url)["turns"] - turns0
                secs = time.monotonic() - t0
                row.notes.append(
                    f"queued before: {before['queued']}; worker: {turns / secs:.0f} turns/s,"
                    f" {cpu * 1000 / max(turns, 1):.1f} CPU ms/turn"
                )
                return [row]
    finally:
        drop_database(name)


def _wait_until_working(url: str, turns_before: int) -> None:
    """Until the worker has finished its first turn (it imports LangChain first)."""
    deadline = time.monotonic() + 120
    while counts(url)["turns"] <= turns_before:
        if time.monotonic() > deadline:
            raise RuntimeError("the worker finished no turn within 120 s")
        time.sleep(0.2)  # polling another process's progress


def parser() -> argparse.ArgumentParser:
    """This benchmark's options (`benchmarks.worker_ab` builds its runs from them too)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--duration", type=float, default=20.0, help="open-loop seconds")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn web processes")
    parser.add_argument("--threads", type=int, default=16, help="gunicorn threads per worker")
    parser.add_argument(
        "--worker-class",
        choices=Gunicorn.WORKER_CLASSES,
        default="gthread",
        help="gunicorn's worker class for the bot and the bare route (gevent: README, Deployment)",
    )
    parser.add_argument("--saturation-seconds", type=float, default=10.0)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--backlog", type=int, default=10_000, help="queued turns")
    parser.add_argument("--quick", action="store_true", help="4 s per measurement")
    return parser


def main() -> None:
    args = parser().parse_args()
    if args.quick:
        args.duration = args.saturation_seconds = 4.0

    run = Run(args)
    run.measure_bare()
    # Fresh, queued, queued, fresh: a machine that speeds up or slows down during the run
    # (seen here: 20% within two minutes) weighs on both alike, as one pair would not.
    queued = f"webhook alone, {args.backlog:,} queued"
    fresh = scenario(run, "webhook alone, fresh", dup=True)[:2]
    backlog = scenario(run, queued, backlog=args.backlog)
    backlog += scenario(run, f"{queued}, again", backlog=args.backlog, latency=False)
    fresh += scenario(run, "webhook alone, fresh, again", latency=False)
    scenario(run, "worker running, fresh", worker=True)
    scenario(
        run,
        f"worker draining {args.backlog:,} queued",
        backlog=args.backlog,
        worker=True,
        saturate=False,
    )
    run.measure_bare()
    _print(run, [fresh[1].rps, fresh[2].rps], [backlog[1].rps, backlog[2].rps])


def _print(run: Run, fresh_rps: list[float], backlog_rps: list[float]) -> None:
    bare = sum(run.bare) / len(run.bare)
    print(
        f"bare route: {' and '.join(f'{b:.0f}' for b in run.bare)} req/s (first and last);"
        f" ratios against their mean, {bare:.0f}"
    )
    print(f"{'scenario':62} {'req/s':>7} {'× bare':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    for row in run.rows:
        lat = "".join(f" {v:7.2f}" for v in row.latency) if row.latency else " " * 24
        print(f"{row.label:62} {row.rps:7.0f} {row.rps / bare:7.2f}{lat}  {row.statuses}")
        for note in row.notes:
            print(f"{'':64}{note}")
    pairs = ", ".join(f"{b / f:.2f}" for b, f in zip(backlog_rps, fresh_rps, strict=True))
    print(
        f"saturation with {run.args.backlog:,} queued = {sum(backlog_rps) / sum(fresh_rps):.2f}"
        f" × fresh (measured fresh, queued, queued, fresh; each queued beside its fresh: {pairs})"
    )


if __name__ == "__main__":
    main()
