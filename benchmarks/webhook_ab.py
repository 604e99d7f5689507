"""Saturation of two checkouts of the bot, served alternately, beside the bare HMAC route.

    python -m benchmarks.webhook_ab OTHER_CHECKOUT [--rounds 3] [--seconds 6] [--backlog 0]
                                   [--this-backlog N]

Machine noise on shared cores moves single runs by 30%; serving the other checkout (say, a
`git worktree` of the commit before a change) and this one in turns, each on a fresh database,
and comparing medians shows what a change is worth. The bare route runs before, between and
after the rounds, and each round is set against the bare runs on either side of it. Both run in
this checkout's virtualenv on a database migrated by this checkout. Given this checkout as OTHER
and `--this-backlog 10000`, it serves the same code fresh and beside a backlog in turns.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
from pathlib import Path

from benchmarks import common
from benchmarks.common import (
    Gunicorn,
    cpu_seconds,
    create_database,
    drop_database,
    postgres_cpu_seconds,
)
from benchmarks.webhook_ack import Run, bot_env, deliveries, open_loop, seed


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def measure(run: Run, root: Path, label: str, backlog: int) -> tuple[float, float, float]:
    """Saturation req/s, and gunicorn's and PostgreSQL's CPU ms per delivery, for the checkout
    at `root` with `backlog` turns queued (PostgreSQL's is every postgres process on the
    machine: run nothing else)."""
    name, url = create_database()
    try:
        seed(url, backlog)
        env = bot_env(url) | {"PYTHONPATH": str(root)}
        with Gunicorn("app:create_app()", env, root=root, threads=run.args.threads) as bot:
            asyncio.run(open_loop(bot.port, deliveries(300, run.args.customers), rate=300))
            kids = children(bot.proc.pid)
            cpu0, pg0 = sum(map(cpu_seconds, kids)), postgres_cpu_seconds()
            row = run.saturation(bot.port, label)
            cpu, pg = sum(map(cpu_seconds, kids)) - cpu0, postgres_cpu_seconds() - pg0
        n = max(sum(row.statuses.values()), 1)
        return row.rps, cpu * 1000 / n, pg * 1000 / n
    finally:
        drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout (its project root)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=16, help="gunicorn threads per worker")
    parser.add_argument("--backlog", type=int, default=0, help="turns queued before each round")
    parser.add_argument(
        "--this-backlog", type=int, help="turns queued for this checkout's rounds (else --backlog)"
    )
    a = parser.parse_args()
    a.saturation_seconds = a.seconds
    run = Run(a)
    checkouts = {"other": a.other.resolve(), "this": common.ROOT}
    results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in checkouts}
    ratios: dict[str, list[float]] = {k: [] for k in checkouts}
    run.measure_bare()
    for i in range(a.rounds):
        order = list(checkouts.items())
        for label, root in order if i % 2 == 0 else order[::-1]:  # ABBA: no order bias
            backlog = a.backlog if label == "other" or a.this_backlog is None else a.this_backlog
            rps, cpu_ms, pg_ms = measure(run, root, f"{label} {i + 1}", backlog)
            results[label].append((rps, cpu_ms, pg_ms))
            print(
                f"{label} round {i + 1}: {rps:.0f} req/s, CPU ms/delivery: gunicorn {cpu_ms:.2f},"
                f" PostgreSQL {pg_ms:.2f}"
            )
        # The bare route again after every round: each round's rows are set against the bare
        # runs on either side of it, so a machine that changes speed moves both alike.
        run.measure_bare()
        around = statistics.mean(run.bare[-2:])
        for label in checkouts:
            ratios[label].append(results[label][-1][0] / around)
    print(f"bare route: {', '.join(f'{b:.0f}' for b in run.bare)} req/s (before, between, after)")
    for label, rows in results.items():
        rps = statistics.median(r for r, _, _ in rows)
        cpu = statistics.median(c for _, c, _ in rows)
        pg = statistics.median(p for _, _, p in rows)
        each = ", ".join(f"{r:.2f}" for r in ratios[label])
        print(
            f"{label:6} {checkouts[label]}: median {rps:.0f} req/s, median"
            f" {statistics.median(ratios[label]):.2f} × the bare runs around its round ({each}),"
            f" CPU ms/delivery: gunicorn {cpu:.2f}, PostgreSQL {pg:.2f}"
        )


if __name__ == "__main__":
    main()
