"""Reminders: 10,000 appointments across 200 businesses whose reminders all come due in the
same minute, sent by job worker processes against a fake Graph API that enforces a rate.

    python -m benchmarks.reminders [--businesses 200] [--per-business 50] [--workers 2]
                                   [--concurrency 8] [--rate 20] [--lead 60]

Each business has `--per-business` customers (inside the 24-hour window) with one haircut each,
all starting at the same minute; their 2-hour reminders are planned by the booking service's own
code (`app.booking.reminders.schedule`, one row and one scheduled `send_reminder` job each), due
`--lead` seconds after the run starts. The appointments are inserted directly (50 customers of a
business at one instant is over any salon's capacity: the capacity check is not what is measured).
Every business sends at `--rate` messages per second and the fake answers 130429 to any send
beyond that rate per number in a sliding second, so a sender that is too fast is seen.

Reports: reminders sent and how often each customer received one (exactly once is the goal),
130429 answers, the highest sends per number in any second, the time from the due minute until
the last reminder was accepted, and the workers' peak resident memory (VmHWM).
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import create_database, drop_database
from benchmarks.outbox import peak_per_second, start_workers
from tests.fake_graph import FakeGraph

# Customers written to within the hour, each with one haircut at the same start.
APPOINTMENTS = """
WITH c AS (
    INSERT INTO customers (business_id, address, profile_name, last_inbound_at)
    SELECT %(b)s, '35' || lpad(%(n)s::text, 5, '0') || lpad(g::text, 5, '0'), 'Kim',
           now() - interval '1 hour'
      FROM generate_series(1, %(count)s) AS g RETURNING id
)
INSERT INTO appointments (business_id, customer_id, service_id, starts_at, ends_at,
                          idempotency_key)
SELECT %(b)s, c.id, s.id, %(start)s, %(start)s + interval '30 minutes', 'bench:' || c.id
  FROM c, services s WHERE s.business_id = %(b)s
RETURNING id
"""


def seed(app, businesses_n: int, per_business: int, rate: int, due: datetime) -> int:
    """Businesses, customers and appointments whose 2-hour reminders are due at `due`."""
    from app.booking import reminders as plans
    from app.booking import store
    from app.storage import businesses, db

    starts_at = due + timedelta(hours=2)
    planned = 0
    with app.app_context():
        for b in range(businesses_n):
            business_id = businesses.create_business(
                {
                    "name": f"Salon {b}",
                    "whatsapp_number_id": f"5553{b:05d}",
                    "send_rate": rate,
                    "reminder_offsets_minutes": [120],
                    "reminder_quiet_hours": None,
                },
                [{"name": "Haircut", "duration_minutes": 30}],
            )
            business = businesses.get_business(business_id, document=False)
            with db.transaction() as conn:
                params = {"b": business_id, "n": b, "count": per_business, "start": starts_at}
                rows = conn.execute(APPOINTMENTS, params)
                for row in rows.fetchall():
                    appointment = store.get(conn, row["id"])
                    plans.schedule(conn, business, appointment, due - timedelta(hours=1))
                    planned += 1
    return planned


def reminder_states(url: str) -> Counter:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT coalesce(m.status, r.state), count(*) FROM appointment_reminders r"
            " LEFT JOIN messages m ON m.id = r.message_id GROUP BY 1"
        ).fetchall()
    return Counter(dict(rows))


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--businesses", type=int, default=200)
    parser.add_argument("--per-business", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=int, default=20)
    parser.add_argument("--lead", type=float, default=60.0, help="seconds until they are due")
    args = parser.parse_args()

    name, url = create_database()
    graph = FakeGraph().start()
    graph.limit_rate(args.rate)
    logs = Path(tempfile.mkdtemp(prefix="reminders-bench-"))
    env = {
        "DATABASE_URL": url,
        "MOCK_MODE": "false",
        "APP_SECRET": "bench",
        "VERIFY_TOKEN": "bench",
        "SECRET_KEY": "bench",
        "ACCESS_TOKEN": "bench-token",
        "WHATSAPP_API_BASE_URL": graph.base_url,
        "WORKER_CONCURRENCY": str(args.concurrency),
        "LOG_FORMAT": "text",
        "QUEUE_LOG_LEVEL": "WARNING",
    }
    workers = []
    total = args.businesses * args.per_business
    try:
        from app import create_app

        settings = {k: v for k, v in env.items() if k != "WORKER_CONCURRENCY"}
        app = create_app(settings | {"MOCK_MODE": False})
        due = (datetime.now(UTC) + timedelta(seconds=args.lead)).replace(microsecond=0)
        seeding = time.monotonic()
        planned = seed(app, args.businesses, args.per_business, args.rate, due)
        print(
            f"reminders: {planned} planned for {args.businesses} businesses in"
            f" {time.monotonic() - seeding:.1f} s, all due at {due:%H:%M:%S} UTC;"
            f" {args.workers} worker processes x concurrency {args.concurrency}; fake Graph API"
            f" refusing more than {args.rate} sends per number per second (130429)",
            flush=True,
        )
        workers = start_workers(args.workers, env, logs)
        wait = (due - datetime.now(UTC)).total_seconds()
        if wait > 0:
            time.sleep(wait)  # the benchmark waits for the real due minute, as production does
        start = time.monotonic()
        deadline = start + 1800
        while reminder_states(url).get("sent", 0) + reminder_states(url).get("failed", 0) < total:
            assert all(p.poll() is None for p in workers), "a worker process died"
            assert time.monotonic() < deadline, f"not drained after 30 min: {reminder_states(url)}"
            time.sleep(0.5)  # polling the database: the workers are other processes
        drained = time.monotonic() - start
        report(graph, url, total, args.rate, drained, [peak_rss_mb(p.pid) for p in workers])
        print(f"logs: {logs}")
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in workers:
            proc.wait(timeout=60)
        from app.storage import db

        db.close_pool()
        graph.stop()
        drop_database(name)


def report(graph, url, total, rate, drained, rss) -> None:
    sends = [r for r in graph.requests if "to" in (r.json or {})]
    accepted = [r for r in sends if r.status == 200]
    per_customer = Counter(r.json["to"] for r in accepted)
    by_number: dict[str, list[float]] = defaultdict(list)
    for r in sends:
        by_number[r.account].append(r.at)
    print(f"  states: {dict(reminder_states(url))}")
    print(
        f"  reminders accepted {len(accepted)} of {total}; customers who got exactly one"
        f" {sum(1 for n in per_customer.values() if n == 1)}, more than one"
        f" {sum(1 for n in per_customer.values() if n > 1)}"
    )
    print(
        f"  130429 answers {len(sends) - len(accepted)}; peak sends per number in any second"
        f" {max(peak_per_second(v) for v in by_number.values())} (limit {rate})"
    )
    first, last = min(r.at for r in accepted), max(r.at for r in accepted)
    print(
        f"  drained {drained:.1f} s after the due minute (first send to last {last - first:.1f} s,"
        f" {len(accepted) / max(last - first, 1e-9):.0f} sends/s)"
    )
    print(f"  worker peak RSS: {', '.join(f'{m:.0f} MB' for m in rss)}")


if __name__ == "__main__":
    main()
