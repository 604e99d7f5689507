"""Webhook acknowledgement latency and throughput against gunicorn (-w 2 -k gthread).

    python -m benchmarks.webhook_ack [--rate 300] [--duration 20] [--concurrency 50]

Prints a table: open-loop ack latency at an offered rate (latency counted from each request's
scheduled send time), saturation throughput at N closed-loop senders for the bot's webhook and a
bare Flask+HMAC route measured in the same run, and duplicate-delivery throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json

from app.channels.meta import sign
from benchmarks.common import (
    Gunicorn,
    closed_loop,
    create_database,
    drop_database,
    open_loop,
    percentile,
    raw_post,
)
from tests import envelopes

SECRET = "bench-secret"
PHONE_NUMBER_ID = "123456123"


def envelope(i: int, customers: int) -> bytes:
    """A realistic ~1 KB text-message envelope from one of `customers` customers."""
    wa_id = f"3460{i % customers:07d}"
    body = "Hi! Can I book a haircut tomorrow after 5pm, please? " * 8
    message = envelopes.text(
        body,
        wa_id=wa_id,
        name=f"Customer {i % customers}",
        wamid=f"wamid.BENCH{i:012d}",
        phone_number_id=PHONE_NUMBER_ID,
    )
    return json.dumps(message).encode()


def signed(body: bytes) -> bytes:
    return raw_post(
        "/webhook",
        body,
        {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, SECRET)},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--saturation-seconds", type=float, default=10.0)
    parser.add_argument("--customers", type=int, default=2000)
    args = parser.parse_args()

    name, url = create_database()
    env = {
        "DATABASE_URL": url,
        "APP_SECRET": SECRET,
        "VERIFY_TOKEN": "v",
        "SECRET_KEY": "k",
        "MOCK_MODE": "false",
        "PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "DB_POOL_MAX": "16",
    }
    try:
        _seed(url)
        counter = itertools.count()
        rows = []
        with Gunicorn("app:create_app()", env) as bot:
            n = int(args.rate * args.duration)
            warm = [signed(envelope(next(counter), args.customers)) for _ in range(300)]
            asyncio.run(open_loop(bot.port, warm, rate=200))
            reqs = [signed(envelope(next(counter), args.customers)) for _ in range(n)]
            lat, statuses, took = asyncio.run(open_loop(bot.port, reqs, args.rate))
            rows.append(_latency_row(f"bot, open loop {args.rate:.0f}/s", lat, statuses, took))
            sat = [signed(envelope(next(counter), args.customers)) for _ in range(200_000)]
            it = iter(sat)
            count, st, secs = asyncio.run(
                closed_loop(bot.port, lambda: next(it), args.concurrency, args.saturation_seconds)
            )
            bot_rps = count / secs
            rows.append((f"bot, {args.concurrency} senders (saturation)", bot_rps, st))
            dup = signed(envelope(0, args.customers))
            count, st, secs = asyncio.run(
                closed_loop(bot.port, lambda: dup, args.concurrency, args.saturation_seconds)
            )
            rows.append((f"bot, duplicates, {args.concurrency} senders", count / secs, st))
        with Gunicorn("benchmarks.bare_app:create_app()", {"APP_SECRET": SECRET}) as bare:
            body = signed(envelope(0, 1))
            count, st, secs = asyncio.run(
                closed_loop(bare.port, lambda: body, args.concurrency, args.saturation_seconds)
            )
            bare_rps = count / secs
            rows.append((f"bare Flask+HMAC, {args.concurrency} senders", bare_rps, st))
        _print(rows, bot_rps / bare_rps)
        _print_stored(url)
    finally:
        drop_database(name)


def _seed(url: str) -> None:
    from app.storage import businesses, db

    db.open_pool(url)
    businesses.seed_demo(PHONE_NUMBER_ID)
    db.close_pool()


def _print_stored(url: str) -> None:
    """Show that the acknowledged deliveries really are in the database, with their jobs."""
    import psycopg

    with psycopg.connect(url) as conn:
        messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        jobs = conn.execute("SELECT count(*) FROM procrastinate_jobs").fetchone()[0]
    print(f"stored: {messages} messages, {jobs} turn jobs (duplicates add neither)")


def _latency_row(label, lat, statuses, took):
    ms = [x * 1000 for x in lat]
    return (label, len(lat) / took, statuses, percentile(ms, 50), percentile(ms, 99), max(ms))


def _print(rows, ratio) -> None:
    print(f"{'scenario':44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
    for row in rows:
        label, rps, statuses = row[:3]
        extra = "".join(f" {v:8.2f}" for v in row[3:]) if len(row) > 3 else " " * 27
        print(f"{label:44} {rps:9.0f}{extra}  {dict(sorted(statuses.items()))}")
    print(f"bot saturation throughput = {ratio:.0%} of the bare Flask+HMAC route")


if __name__ == "__main__":
    main()
