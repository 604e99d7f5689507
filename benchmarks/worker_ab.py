"""A job worker beside the web processes, with an environment setting and without, in turns.

    python -m benchmarks.worker_ab KEY=VALUE [KEY=VALUE ...] [--rounds 3] [--backlog 10000]
                                   [--seconds 15] [--threads 16] [--workers 2]
                                   [--worker-class gthread|gevent]

Each round runs, once with the settings and once without (the order alternating from round to
round, each on a fresh database), the two scenarios of `benchmarks.webhook_ack` where a worker
shares the machine with the webhook: a worker draining `--backlog` queued turns while 300
deliveries a second arrive (its turns per second and CPU per turn, the acks' p50 and p99), and
a worker beside a saturating webhook (the webhook's req/s, the worker's turns per second).
`python -m benchmarks.worker_ab WEB_SCHED_BATCH=off` measures what SCHED_BATCH does to the
workers (docs/PERFORMANCE.md, section 19); single full runs move too much here to tell.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics

from benchmarks import webhook_ack
from benchmarks.common import Gunicorn
from benchmarks.webhook_ack import Run, scenario

_WORKER = re.compile(r"worker: (\d+) turns/s, ([\d.]+) CPU ms/turn")


def rounds(run: Run, settings: dict[str, str], count: int) -> dict[bool, list[dict]]:
    """`count` rounds of both scenarios, with `settings` (True) and without (False)."""
    found: dict[bool, list[dict]] = {True: [], False: []}
    for n in range(count):
        for with_settings in (True, False) if n % 2 == 0 else (False, True):
            saved = {key: os.environ.get(key) for key in settings}
            if with_settings:
                os.environ.update(settings)
            try:
                [drain] = scenario(run, "draining", backlog=run.args.backlog, worker=True,
                                   saturate=False)  # fmt: skip
                [beside] = scenario(run, "beside", worker=True)
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
            turns, cpu = _WORKER.search(drain.notes[-1]).groups()
            beside_turns, _ = _WORKER.search(beside.notes[-1]).groups()
            result = {
                "drain_turns": int(turns),
                "drain_cpu": float(cpu),
                "p50": drain.latency[0],
                "p99": drain.latency[1],
                "beside_rps": beside.rps,
                "beside_turns": int(beside_turns),
            }
            found[with_settings].append(result)
            label = "with" if with_settings else "without"
            print(f"round {n + 1} {label}: {_line(result)}", flush=True)
    return found


def _line(r: dict) -> str:
    return (
        f"draining {r['drain_turns']} turns/s at {r['drain_cpu']:.1f} CPU ms/turn, acks p50 /"
        f" p99 {r['p50']:.1f} / {r['p99']:.1f} ms; beside a saturating webhook"
        f" {r['beside_rps']:.0f} req/s and {r['beside_turns']} turns/s"
    )


def run_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, argparse.Namespace]:
    """This benchmark's options, and the `webhook_ack` run they make (every option that one has,
    at its default unless set here)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", nargs="+", metavar="KEY=VALUE")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=15.0, help="per measurement")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=Gunicorn.WORKER_CLASSES, default="gthread")
    args = parser.parse_args(argv)
    if bad := [item for item in args.settings if "=" not in item]:
        parser.error(f"settings are KEY=VALUE, got {bad[0]!r}")
    seconds = str(args.seconds)
    ack = webhook_ack.parser().parse_args(
        ["--duration", seconds, "--saturation-seconds", seconds, "--backlog", str(args.backlog)]
        + ["--workers", str(args.workers), "--threads", str(args.threads)]
        + ["--worker-class", args.worker_class]
    )
    return args, ack


def main() -> None:
    args, ack = run_args()
    settings = dict(item.split("=", 1) for item in args.settings)
    run = Run(ack)
    found = rounds(run, settings, args.rounds)
    for with_settings, label in ((True, " ".join(args.settings)), (False, "without")):
        results = found[with_settings]
        medians = {key: statistics.median(r[key] for r in results) for key in results[0]}
        print(f"{label}, medians: {_line(medians)}")


if __name__ == "__main__":
    main()
