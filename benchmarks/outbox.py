"""Outbox pacing: bursts of notices against a fake Graph API that enforces 80 messages/s.

    python -m benchmarks.outbox [--burst 2000] [--businesses 200] [--per-business 10]
                                [--workers 2] [--concurrency 8] [--rate 80]

Notices are queued through `app.outbox.queue` (one per customer, each customer inside the
24-hour window), then `--workers` job worker processes (`flask --app app worker`) send them. The
fake Graph API answers 130429 to any send beyond `--rate` per number in a sliding second, so a
sender that is too fast is seen; it also records when every request arrived.

Scenarios, one after another on the same workers:
  burst     `--burst` notices for one business
  spread    `--businesses` businesses x `--per-business` notices, queued at once
  mixed     half the burst for one business, then `--per-business` notices for each of 20
            others queued right after it: do the others wait for the burst? (they should not)

Per scenario: messages delivered, permanent failures, 130429 answers, the highest number of
send requests any one number received in a sliding second (attempted, and accepted), and the
wall time against its minimum (the busiest number's messages / rate).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.common import ROOT, create_database, drop_database
from tests.fake_graph import FakeGraph

BURST_NUMBER = "555000001"
MIXED_NUMBER = "555000002"
WARMUP_NUMBER = "555000003"


def peak_per_second(times: list[float]) -> int:
    """The most requests in any one-second window (half-open) of these arrival times."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def seed(url: str, numbers: dict[str, int]) -> dict[str, list[tuple[int, int]]]:
    """Businesses on these numbers with this many customers each (written to within the hour);
    return number -> [(business_id, customer_id), ...]."""
    from app.storage import businesses, db

    db.open_pool(url)
    out: dict[str, list[tuple[int, int]]] = {}
    try:
        for number, customers in numbers.items():
            business_id = businesses.create_business(
                {"name": f"Shop {number}", "whatsapp_number_id": number}
            )
            rows = db.fetch_all(
                "INSERT INTO customers (business_id, address, last_inbound_at)"
                " SELECT %s, %s || lpad(g::text, 6, '0'), now() - interval '1 hour'"
                " FROM generate_series(1, %s) AS g RETURNING id",
                (business_id, f"34{number[-4:]}", customers),
            )
            out[number] = [(business_id, r["id"]) for r in rows]
    finally:
        db.close_pool()
    return out


def queue_notices(app, targets: list[tuple[int, int]], label: str, batch: int = 50) -> None:
    """One notice per (business, customer), `batch` to a transaction (a business notifying
    many customers at once)."""
    from app import outbox
    from app.storage import businesses, db

    with app.app_context():
        business = businesses.get_row(targets[0][0])
        for start in range(0, len(targets), batch):
            with db.transaction() as conn:
                for n, (_, customer_id) in enumerate(targets[start : start + batch], start):
                    outbox.queue(
                        conn,
                        business,
                        {"id": customer_id, "channel": "whatsapp"},
                        [f"{label} notice {n}: your appointment on Friday moved to 11:00."],
                        "notice",
                    )


def unsent(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'queued'"
        ).fetchone()[0]


def outcome(url: str, numbers: list[str]) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT m.status, count(*) FROM messages m JOIN businesses b ON b.id = m.business_id"
            " WHERE m.direction = 'out' AND b.whatsapp_number_id = ANY(%s) GROUP BY m.status",
            (numbers,),
        ).fetchall()
    return dict(rows)


def delivered_at(graph: FakeGraph, numbers: set[str], since: float) -> dict[str, list[float]]:
    """Arrival times of accepted sends per number, since `since`."""
    times: dict[str, list[float]] = defaultdict(list)
    for r in graph.requests:
        if r.account in numbers and r.at >= since and r.status == 200 and "to" in (r.json or {}):
            times[r.account].append(r.at)
    return times


def run_scenario(name, app, url, graph, batches, rate, workers_alive, per_second) -> list[str]:
    """Queue the batches (label, targets) in order, wait until all is sent, report."""
    numbers = {number for _, number, _ in batches}
    started = time.monotonic()
    queued_at = {}
    for label, number, targets in batches:
        queue_notices(app, targets, label)
        queued_at[number] = time.monotonic()
    queued = time.monotonic() - started
    while unsent(url):
        assert workers_alive(), "a worker process died"
        time.sleep(0.1)  # polling the database: the workers are other processes
    took = time.monotonic() - started
    requests = [
        r
        for r in graph.requests
        if r.account in numbers and r.at >= started and "to" in (r.json or {})
    ]
    attempted: dict[str, list[float]] = defaultdict(list)
    for r in requests:
        attempted[r.account].append(r.at)
    accepted = delivered_at(graph, numbers, started)
    statuses = outcome(url, sorted(numbers))
    busiest = max(len(v) for v in accepted.values())
    peak_attempted = max(peak_per_second(v) for v in attempted.values())
    peak_accepted = max(peak_per_second(v) for v in accepted.values())
    lines = [
        f"{name}: {sum(len(t) for _, _, t in batches)} notices, {len(numbers)} number(s)",
        f"  delivered {statuses.get('sent', 0)}, permanent failures {statuses.get('failed', 0)},"
        f" 130429 answers {sum(1 for r in requests if r.status != 200)}",
        f"  peak sends per number in any second: {peak_attempted} attempted, {peak_accepted}"
        f" accepted (limit {rate})",
        f"  all delivered in {took:.2f} s, the last {took - queued:.2f} s after the last notice"
        f" was queued (queueing took {queued:.2f} s); minimum for the busiest number"
        f" {busiest / rate:.2f} s",
    ]
    if per_second:
        number = max(accepted, key=lambda k: len(accepted[k]))
        counts: dict[int, int] = defaultdict(int)
        for t in accepted[number]:
            counts[int(t - started)] += 1
        per = [counts[i] for i in range(int(took) + 1)]
        lines.append(f"  sends per second of the busiest number: {per}")
    if name == "mixed":
        burst_done = max(accepted[MIXED_NUMBER]) - started
        # Each other business: from its notices being queued to its last one delivered.
        waits = sorted(max(v) - queued_at[k] for k, v in accepted.items() if k != MIXED_NUMBER)
        lines.append(
            f"  the burst's number finished at {burst_done:.2f} s; each of the other"
            f" {len(waits)} businesses had all its notices delivered within {waits[-1]:.2f} s of"
            f" queueing them (median {waits[len(waits) // 2]:.2f} s), while the burst was sending"
        )
    return lines


def start_workers(n: int, env: dict, logs: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        log = open(logs / f"worker-{i + 1}.log", "wb")  # noqa: SIM115 - closed with the process
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "worker"],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return procs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--businesses", type=int, default=200)
    parser.add_argument("--per-business", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=int, default=80)
    parser.add_argument("--per-second", action="store_true", help="print sends per second")
    args = parser.parse_args()

    name, url = create_database()
    graph = FakeGraph().start()
    graph.limit_rate(args.rate)
    logs = Path(tempfile.mkdtemp(prefix="outbox-bench-"))
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
    workers: list[subprocess.Popen] = []
    try:
        spread = {f"5551{i:05d}": args.per_business for i in range(args.businesses)}
        others = {f"5552{i:05d}": args.per_business for i in range(20)}
        targets = seed(
            url,
            {
                BURST_NUMBER: args.burst,
                MIXED_NUMBER: args.burst // 2,
                WARMUP_NUMBER: 1,
                **spread,
                **others,
            },
        )
        from app import create_app

        app = create_app({k: v for k, v in env.items() if k != "WORKER_CONCURRENCY"})
        workers = start_workers(args.workers, env, logs)
        alive = lambda: all(p.poll() is None for p in workers)  # noqa: E731
        print(
            f"outbox: {args.workers} worker processes x concurrency {args.concurrency}, fake Graph"
            f" API refusing more than {args.rate} sends per number per second (130429)"
        )
        # The workers' start-up (imports, connections) is not part of any scenario.
        queue_notices(app, targets[WARMUP_NUMBER], "warm-up")
        while unsent(url):
            assert alive(), "a worker process died"
            time.sleep(0.1)
        scenarios = [
            ("burst", [("burst", BURST_NUMBER, targets[BURST_NUMBER])]),
            ("spread", [("spread", n, targets[n]) for n in spread]),
            (
                "mixed",
                [("mixed", MIXED_NUMBER, targets[MIXED_NUMBER])]
                + [("other", n, targets[n]) for n in others],
            ),
        ]
        for scenario, batches in scenarios:
            batches = [(label, number, t) for label, number, t in batches]
            report = run_scenario(
                scenario, app, url, graph, batches, args.rate, alive, args.per_second
            )
            for line in report:
                print(line, flush=True)
        print(f"logs: {logs}")
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        from app.storage import db

        db.close_pool()
        graph.stop()
        drop_database(name)


if __name__ == "__main__":
    main()
