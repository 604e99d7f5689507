"""Each web process on a core of its own (`WEB_PIN_CPUS=on`), for hosts whose cores serve the
web processes alone.

A web process runs Python on one thread at a time (the GIL). With its threads free to run on
every core, a thread woken on one core (its delivery committed, a request arrived) can find the
GIL held by a thread on another, sleep again and be woken again: each time a context switch and
a wake-up sent across cores. On one core the woken thread runs when the holder blocks, and finds
the GIL free. Served in turns at saturation on a 2-core machine, pinning halved the webhook's
context switches (7.7–7.9 → 3.3–3.5 per delivery), cut its CPU per delivery by a sixth to a
quarter and raised its throughput by a quarter to a third. It is off by default: where job
workers share the cores, a pinned web process cannot step aside for them: a worker draining a
backlog beside 300 deliveries/s did a fifth fewer turns, and the acks' p99 rose by 3–4 ms
(docs/PERFORMANCE.md, section 15).

Apart from pinning, each web worker runs its threads under the scheduler's batch policy
(`WEB_SCHED_BATCH`, on by default; `batch`): a thread woken (its delivery committed, a request
arrived) no longer preempts the thread running on its core, which mostly holds the GIL, and so
waits for it to block instead of waking to find the GIL taken. Served in turns at saturation,
the webhook's context switches fell from 7.6 to 5.4 per delivery and it answered 7% more
deliveries a second; the bare route gained as much, and a job worker beside the web processes
did not lose (docs/PERFORMANCE.md, section 19). Unlike pinning, nothing is tied to a core.

Job workers (`flask --app app worker`) run below the web processes (`WORKER_NICE`, niceness 10
by default; `lower`): on the cores they share, a web thread with a delivery to acknowledge runs
before a turn's next step. Served in turns on a 2-core machine, a worker draining 10,000 queued
turns beside 300 deliveries/s left the acks' p99 about a third lower (the p50 a fifth to a half)
with as many turns a second within the rounds' spread; beside a webhook saturating the machine it
did a fifth to a quarter fewer (docs/PERFORMANCE.md, section 26).

The master picks the core before it forks a worker (`choose`): the allowed core with the fewest
live workers, so a worker that restarts takes the place its predecessor left. The kernel still
places everything else on any core, around the pinned processes. Two gunicorn masters on one
host know nothing of each other's workers and pin onto the same cores: give each its own cores
(`taskset`, a container's cpuset), which `allowed` respects.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable


def allowed() -> list[int]:
    """The cores this process may run on (taskset, a container's cpuset); [] where the
    platform cannot pin (macOS)."""
    getter = getattr(os, "sched_getaffinity", None)
    if getter is None or not hasattr(os, "sched_setaffinity"):
        return []
    return sorted(getter(0))


def choose(cores: list[int], taken: Iterable[int | None]) -> int | None:
    """The core for a new worker: of `cores`, the one fewest live workers are on (the lowest
    on a tie); None when there is nothing to choose (no core, or only one)."""
    if len(cores) < 2:
        return None
    count = Counter(core for core in taken if core is not None)
    return min(cores, key=lambda core: (count[core], core))


def pin(core: int | None) -> bool:
    """Run this process (every thread it starts from now on) on `core` only; False when the
    kernel refuses (the core went offline, the container's cores changed): it then runs
    unpinned, as a web process would without `WEB_PIN_CPUS`."""
    if core is None:
        return False
    try:
        os.sched_setaffinity(0, {core})
    except OSError:
        return False
    return True


def batch() -> bool:
    """Run this process (every thread it starts from now on) under SCHED_BATCH; False where the
    platform has no such policy (macOS) or the kernel refuses it."""
    policy = getattr(os, "SCHED_BATCH", None)
    if policy is None or not hasattr(os, "sched_setscheduler"):
        return False
    try:
        os.sched_setscheduler(0, policy, os.sched_param(0))
    except OSError:
        return False
    return True


def lower(niceness: int) -> int | None:
    """Run this process at `niceness` (0 normal, 19 lowest) or below, every thread it has and
    every thread it starts from now on; return the niceness it now runs at, or None where the
    kernel refuses or the platform cannot (on Linux a process may always lower its own)."""
    if not hasattr(os, "setpriority"):
        return None
    # Linux keeps a priority per thread: PRIO_PROCESS with a thread's id sets that thread's.
    tasks = "/proc/self/task"
    ids = [int(task) for task in os.listdir(tasks)] if os.path.isdir(tasks) else [0]
    for tid in ids:
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < niceness:
                os.setpriority(os.PRIO_PROCESS, tid, niceness)
        except ProcessLookupError:
            continue  # the thread ended meanwhile
        except OSError:
            return None
    return os.getpriority(os.PRIO_PROCESS, 0)
