"""Each gunicorn web worker runs on a core of its own (app/cpus.py, gunicorn.conf.py)."""

from __future__ import annotations

import os
import runpy
import signal
import time
from pathlib import Path

import pytest

from app import config, cpus
from benchmarks.common import Gunicorn, children

DEADLINE = 60.0
ROOT = Path(__file__).resolve().parents[1]


def test_a_new_worker_takes_the_core_fewest_workers_are_on():
    assert cpus.choose([0, 1], []) == 0
    assert cpus.choose([0, 1], [0]) == 1
    assert cpus.choose([0, 1], [1]) == 0
    assert cpus.choose([0, 1, 2, 3], [0, 1, 3]) == 2
    assert cpus.choose([0, 1], [0, 1]) == 0  # more workers than cores: spread evenly
    assert cpus.choose([0, 1], [0, 1, 0]) == 1
    assert cpus.choose([2, 5], [2, None]) == 5  # a worker left unpinned counts nowhere


def test_nothing_is_chosen_without_a_choice():
    assert cpus.choose([], [0]) is None  # the platform cannot pin
    assert cpus.choose([3], []) is None  # one core: pinning would change nothing
    cpus.pin(None)  # and pinning to no core leaves the process as it is
    assert sorted(os.sched_getaffinity(0)) == cpus.allowed()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("on", True), ("1", True), ("off", False), ("false", False)],
)
def test_pinning_is_off_unless_web_pin_cpus_says_on(monkeypatch, value, expected):
    monkeypatch.setattr(config, "load_dotenv", lambda override: None)  # no .env of the machine
    if value is None:
        monkeypatch.delenv("WEB_PIN_CPUS", raising=False)
    else:
        monkeypatch.setenv("WEB_PIN_CPUS", value)
    assert config.pin_web_cpus() is expected


def affinity(pid: int) -> frozenset[int] | None:
    """The cores a process may run on, from /proc (None once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("Cpus_allowed_list:"):
            cores: set[int] = set()
            for part in line.split(":", 1)[1].strip().split(","):
                low, _, high = part.partition("-")
                cores.update(range(int(low), int(high or low) + 1))
            return frozenset(cores)
    return None


def pinned_workers(master: int, exclude: frozenset[int] = frozenset()) -> dict[int, frozenset]:
    """The master's two workers (none of `exclude`) and their cores, once each has pinned
    itself (a worker runs where its master may until it pins itself, just after the fork)."""
    deadline = time.monotonic() + DEADLINE
    found: dict[int, frozenset | None] = {}
    while time.monotonic() < deadline:
        found = {pid: affinity(pid) for pid in children(master) if pid not in exclude}
        if len(found) == 2 and all(cores and len(cores) == 1 for cores in found.values()):
            return found  # type: ignore[return-value]
        time.sleep(0.05)  # a worker is being forked or pinned; nothing to wait on but /proc
    raise AssertionError(f"two pinned workers not seen within {DEADLINE} s: {found}")


def test_each_web_worker_runs_on_its_own_core_and_a_restarted_one_takes_the_freed_core():
    allowed = frozenset(cpus.allowed())
    assert len(allowed) >= 2, f"pinning needs two cores to choose from; this machine has {allowed}"
    env = {"APP_SECRET": "cpus-test-secret", "WEB_PIN_CPUS": "on"}
    with Gunicorn("benchmarks.bare_app:create_app()", env, workers=2, threads=2) as server:
        found = pinned_workers(server.proc.pid)
        first, second = (next(iter(cores)) for cores in found.values())
        assert first != second and {first, second} <= allowed
        # A worker that dies is replaced on the core it left, not beside the survivor.
        survivor, victim = sorted(found)  # the later one: a round-robin would not refill its core
        os.kill(victim, signal.SIGKILL)
        after = pinned_workers(server.proc.pid, exclude=frozenset({victim}))
        assert after[survivor] == found[survivor]
        (replacement,) = set(after) - {survivor}
        assert after[replacement] == found[victim]


class _Worker:
    cpu: int | None = None


@pytest.mark.parametrize(("value", "pinned"), [("on", True), ("off", False)])
def test_gunicorn_config_pins_workers_unless_web_pin_cpus_is_off(monkeypatch, value, pinned):
    monkeypatch.setenv("WEB_PIN_CPUS", value)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    live: dict[int, _Worker] = {}
    server = type("Arbiter", (), {"WORKERS": live})()
    for pid in (101, 102):
        worker = _Worker()
        settings["pre_fork"](server, worker)
        live[pid] = worker
    cores = [worker.cpu for worker in live.values()]
    assert cores == (sorted(cpus.allowed())[:2] if pinned else [None, None])
