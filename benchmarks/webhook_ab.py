"""Saturation of two checkouts of the bot, served alternately, beside the bare HMAC route.

    python -m benchmarks.webhook_ab OTHER_CHECKOUT [--rounds 3] [--seconds 6] [--backlog 0]
                                   [--this-backlog N] [--other-env KEY=VALUE ...]
                                   [--threads 16] [--workers 2] [--other-workers N]
                                   [--other-app SPEC] [--worker-class K]
                                   [--other-worker-class K]

Machine noise on shared cores moves single runs by 30%; serving the other checkout (say, a
`git worktree` of the commit before a change) and this one in turns, each on a fresh database,
and comparing medians shows what a change is worth. The bare route runs before, between and
after the rounds, and each round is set against the bare runs on either side of it. Both run in
this checkout's virtualenv on a database migrated by this checkout. Given this checkout as OTHER
and `--this-backlog 10000`, it serves the same code fresh and beside a backlog in turns; given
`--other-env WEB_PIN_CPUS=on`, the same code with a setting and without; given
`--other-workers 3`, the same code with three web processes and with two; given
`--other-app "benchmarks.nostore_app:create_app()"`, the same code with its store taken out;
given `--other-worker-class gevent`, the same code on gevent processes and on gthread ones
(`--worker-class` sets this checkout's and the bare route's).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from pathlib import Path
from typing import NamedTuple

from benchmarks import common
from benchmarks.common import (
    Gunicorn,
    children,
    cpu_split,
    create_database,
    drop_database,
    idle_percent,
    machine_ticks,
    postgres_cpu_seconds,
)
from benchmarks.webhook_ack import Run, bot_env, deliveries, open_loop, seed


class Round(NamedTuple):
    """One saturation measurement: req/s and, per delivery, the web processes' user and
    system CPU ms, their voluntary context switches, and PostgreSQL's CPU ms; and the share of
    the machine's cores left idle meanwhile."""

    rps: float
    user_ms: float
    system_ms: float
    switches: float
    pg_ms: float = 0.0
    idle: float = 0.0

    def cpu(self) -> str:
        return (
            f"gunicorn {self.user_ms + self.system_ms:.2f} (user {self.user_ms:.2f}, system"
            f" {self.system_ms:.2f}, {self.switches:.1f} context switches), cores"
            f" {self.idle:.1f}% idle"
        )


def measure(
    run: Run,
    root: Path,
    label: str,
    backlog: int,
    extra_env: dict,
    workers: int,
    app_spec: str = "app:create_app()",
    worker_class: str = "gthread",
) -> Round:
    """Saturation for `app_spec` of the checkout at `root` with `backlog` turns queued,
    `extra_env` set and `workers` web processes (PostgreSQL's CPU is every postgres process on
    the machine's: run nothing else)."""
    name, url = create_database()
    try:
        seed(url, backlog)
        env = bot_env(url) | {"PYTHONPATH": str(root)} | extra_env
        threads = run.args.threads
        with Gunicorn(
            app_spec, env, root=root, workers=workers, threads=threads, worker_class=worker_class
        ) as bot:
            asyncio.run(open_loop(bot.port, deliveries(300, run.args.customers), rate=300))
            kids = children(bot.proc.pid)
            before, pg0, idle0 = cpu_split(kids), postgres_cpu_seconds(), machine_ticks()
            row = run.saturation(bot.port, label)
            after, pg = cpu_split(kids), postgres_cpu_seconds() - pg0
            idle = idle_percent(idle0, machine_ticks())
        return per_request(row.rps, sum(row.statuses.values()), before, after, pg, idle)
    finally:
        drop_database(name)


def measure_bare(run: Run) -> Round:
    """The bare HMAC route's saturation (recorded in `run.bare` too) and its CPU per request."""
    count, before, after, idle = run.measure_bare()
    return per_request(run.bare[-1], count, before, after, 0.0, idle)


def per_request(
    rps: float, n: int, before: tuple, after: tuple, pg: float, idle: float = 0.0
) -> Round:
    n = max(n, 1)
    user, system, switches = (b - a for a, b in zip(before, after, strict=True))
    return Round(rps, user * 1000 / n, system * 1000 / n, switches / n, pg * 1000 / n, idle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout (its project root)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument(
        "--workers", type=int, default=2, help="web processes (this checkout, the bare route)"
    )
    parser.add_argument(
        "--other-workers", type=int, help="the other checkout's web processes (else --workers)"
    )
    parser.add_argument("--threads", type=int, default=16, help="gunicorn threads per worker")
    parser.add_argument("--backlog", type=int, default=0, help="turns queued before each round")
    parser.add_argument(
        "--this-backlog", type=int, help="turns queued for this checkout's rounds (else --backlog)"
    )
    parser.add_argument(
        "--other-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set for the other checkout's web processes only (repeatable)",
    )
    parser.add_argument(
        "--other-app",
        default="app:create_app()",
        metavar="SPEC",
        help="the app gunicorn serves for the other checkout (benchmarks.nostore_app:create_app())",
    )
    parser.add_argument(
        "--worker-class",
        choices=Gunicorn.WORKER_CLASSES,
        default="gthread",
        help="gunicorn's worker class for this checkout and the bare route",
    )
    parser.add_argument(
        "--other-worker-class",
        choices=Gunicorn.WORKER_CLASSES,
        help="the other checkout's worker class (else --worker-class)",
    )
    a = parser.parse_args()
    if bad := [item for item in a.other_env if "=" not in item]:
        parser.error(f"--other-env takes KEY=VALUE, got {bad[0]!r}")
    other_env = dict(item.split("=", 1) for item in a.other_env)
    a.saturation_seconds = a.seconds
    run = Run(a)
    checkouts = {"other": a.other.resolve(), "this": common.ROOT}
    kinds = {"other": a.other_worker_class or a.worker_class, "this": a.worker_class}
    results: dict[str, list[Round]] = {k: [] for k in checkouts}
    ratios: dict[str, list[float]] = {k: [] for k in checkouts}
    bares = [measure_bare(run)]
    for i in range(a.rounds):
        order = list(checkouts.items())
        for label, root in order if i % 2 == 0 else order[::-1]:  # ABBA: no order bias
            backlog = a.backlog if label == "other" or a.this_backlog is None else a.this_backlog
            extra = other_env if label == "other" else {}
            workers = a.other_workers if label == "other" and a.other_workers else a.workers
            spec = a.other_app if label == "other" else "app:create_app()"
            result = measure(
                run, root, f"{label} {i + 1}", backlog, extra, workers, spec, kinds[label]
            )
            results[label].append(result)
            print(
                f"{label} round {i + 1}: {result.rps:.0f} req/s, CPU ms/delivery:"
                f" {result.cpu()}, PostgreSQL {result.pg_ms:.2f}"
            )
        # The bare route again after every round: each round's rows are set against the bare
        # runs on either side of it, so a machine that changes speed moves both alike.
        bares.append(measure_bare(run))
        around = statistics.mean(run.bare[-2:])
        for label in checkouts:
            ratios[label].append(results[label][-1].rps / around)
    print(f"bare route: {', '.join(f'{b:.0f}' for b in run.bare)} req/s (before, between, after)")
    print(f"bare route, medians: CPU ms/request: {_median(bares).cpu()}")
    for label, rounds in results.items():
        each = ", ".join(f"{r:.2f}" for r in ratios[label])
        mid = _median(rounds)
        setting = "".join(f" {k}={v}" for k, v in other_env.items()) if label == "other" else ""
        if label == "other" and a.other_app != "app:create_app()":
            setting += f" {a.other_app}"
        setting += f" -k {kinds[label]}"
        print(
            f"{label:6} {checkouts[label]}{setting}: median {mid.rps:.0f} req/s, median"
            f" {statistics.median(ratios[label]):.2f} × the bare runs around its round ({each}),"
            f" CPU ms/delivery: {mid.cpu()}, PostgreSQL {mid.pg_ms:.2f}"
        )


def _median(rounds: list[Round]) -> Round:
    """Each figure's median over the rounds."""
    return Round(*(statistics.median(values) for values in zip(*rounds, strict=True)))


if __name__ == "__main__":
    main()
