"""Each gunicorn web worker runs its threads as throughput work (SCHED_BATCH, by default) and,
with WEB_PIN_CPUS=on, on a core of its own (app/cpus.py, gunicorn.conf.py); job workers run
below them (WORKER_NICE)."""

from __future__ import annotations

import contextlib
import os
import runpy
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
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
    assert cpus.pin(None) is False


def test_a_core_the_kernel_refuses_leaves_the_process_unpinned():
    before = cpus.allowed()
    assert cpus.pin(100_000) is False  # no such core (as when one goes offline)
    assert cpus.allowed() == before


@pytest.mark.parametrize(
    ("value", "dotenv", "expected"),
    [
        (None, None, False),
        ("", None, False),
        ("on", None, True),
        ("1", None, True),
        ("off", None, False),
        ("false", None, False),
        (None, "on", True),  # from .env when the environment does not say
        ("off", "on", False),  # the environment first, as for every setting
    ],
)
def test_pinning_is_off_unless_web_pin_cpus_says_on(monkeypatch, value, dotenv, expected):
    dotenv_file = {} if dotenv is None else {"WEB_PIN_CPUS": dotenv}
    monkeypatch.setattr(config, "dotenv_values", lambda: dotenv_file)
    if value is None:
        monkeypatch.delenv("WEB_PIN_CPUS", raising=False)
    else:
        monkeypatch.setenv("WEB_PIN_CPUS", value)
    assert config.pin_web_cpus() is expected
    assert os.environ.get("WEB_PIN_CPUS") == value  # .env read, not loaded into the master


def affinity(pid: int) -> frozenset[int] | None:
    """The cores a process may run on (None once it has gone)."""
    try:
        return frozenset(os.sched_getaffinity(pid))
    except OSError:
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


@pytest.mark.skipif(len(cpus.allowed()) < 2, reason="pinning needs two cores to choose from")
def test_each_web_worker_runs_on_its_own_core_and_a_restarted_one_takes_the_freed_core():
    allowed = frozenset(cpus.allowed())
    env = {"APP_SECRET": "cpus-test-secret", "WEB_PIN_CPUS": "on"}
    with Gunicorn("benchmarks.bare_app:create_app()", env, workers=2, threads=2) as server:
        found = pinned_workers(server.proc.pid)
        first, second = (next(iter(cores)) for cores in found.values())
        assert first != second and {first, second} <= allowed
        # A worker that dies is replaced on the core it left, not beside the survivor.
        # The later fork (pids grow; they wrap only past pid_max): a round-robin by worker age
        # would put its replacement beside the survivor.
        survivor, victim = sorted(found)
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
    choice = len(cpus.allowed()) >= 2
    assert cores == (sorted(cpus.allowed())[:2] if pinned and choice else [None, None])


def policies(pid: int) -> set[int]:
    """The scheduling policies of a process's threads."""
    found = set()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            found.add(os.sched_getscheduler(int(tid)))
        except OSError:
            pass  # the thread ended meanwhile
    return found


def test_web_workers_run_their_threads_as_batch_work():
    """By default every thread of every web worker runs under SCHED_BATCH; the master not."""
    env = {"APP_SECRET": "cpus-test-secret"}
    with Gunicorn("benchmarks.bare_app:create_app()", env, workers=2, threads=2) as server:
        deadline = time.monotonic() + DEADLINE
        found: dict[int, set[int]] = {}
        while time.monotonic() < deadline:
            found = {pid: policies(pid) for pid in children(server.proc.pid)}
            if len(found) == 2 and all(p == {os.SCHED_BATCH} for p in found.values()):
                break
            time.sleep(0.05)  # a worker is being forked; nothing to wait on but /proc
        assert len(found) == 2 and all(p == {os.SCHED_BATCH} for p in found.values()), found
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=DEADLINE)
        except urllib.error.HTTPError as answered:  # a 404 is an answer: a thread served it
            assert answered.code == 404
        # Threads started since (gthread's pool, for that request) inherit the policy.
        assert all(policies(pid) == {os.SCHED_BATCH} for pid in children(server.proc.pid))
        assert policies(server.proc.pid) == {os.SCHED_OTHER}


@pytest.mark.parametrize(("value", "policy"), [("on", os.SCHED_BATCH), ("off", os.SCHED_OTHER)])
def test_gunicorn_config_makes_workers_batch_work_unless_web_sched_batch_is_off(
    monkeypatch, value, policy
):
    monkeypatch.setenv("WEB_SCHED_BATCH", value)
    monkeypatch.setenv("WEB_PIN_CPUS", "off")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    server = type("Arbiter", (), {"log": type("Log", (), {"warning": print, "info": print})()})()
    child = os.fork()  # post_fork runs in the new worker: here, a child of the test
    if child == 0:
        try:
            settings["post_fork"](server, _Worker())
            os._exit(0 if os.sched_getscheduler(0) == policy else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize(
    ("value", "dotenv", "expected"),
    [(None, None, True), ("off", None, False), ("0", None, False), (None, "off", False)],
)
def test_batch_work_is_on_unless_web_sched_batch_says_off(monkeypatch, value, dotenv, expected):
    monkeypatch.setattr(
        config, "dotenv_values", lambda: {} if dotenv is None else {"WEB_SCHED_BATCH": dotenv}
    )
    if value is None:
        monkeypatch.delenv("WEB_SCHED_BATCH", raising=False)
    else:
        monkeypatch.setenv("WEB_SCHED_BATCH", value)
    assert config.web_sched_batch() is expected


LOWER = """
import os, threading
from app import cpus
started = threading.Event()
before = threading.Thread(target=started.wait)  # a thread the process had already
before.start()
first = cpus.lower(7)
after = threading.Thread(target=started.wait)  # one it starts afterwards
after.start()
again = cpus.lower(3)  # asks for less than it has: it stays lower
tids = [int(tid) for tid in os.listdir("/proc/self/task")]
print(first, again, *sorted(os.getpriority(os.PRIO_PROCESS, tid) for tid in tids))
started.set()
"""


def test_lowering_sets_every_thread_and_those_started_after_and_never_raises_one():
    # In a process of its own: a thread's niceness can be raised back only by root.
    done = subprocess.run(
        [sys.executable, "-c", LOWER], cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["7", "7", "7", "7", "7"]


def niceness_of_threads(pid: int) -> list[int]:
    """Each thread's niceness as the kernel keeps it (/proc/PID/task/TID/stat, field 19)."""
    found = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            found.append(int(stat.rsplit(")", 1)[1].split()[16]))
    return found


@pytest.mark.parametrize(("setting", "expected"), [(None, 10), ("4", 4), ("0", 0)])
def test_a_job_worker_runs_every_thread_at_worker_nice(app_config, db_url, setting, expected):
    from tests.test_faults_workers import db_wait, start_worker, stop

    overrides = {} if setting is None else {"WORKER_NICE": setting}
    worker = start_worker(app_config, **overrides)
    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            # registered, so past the lowering: threads it starts later inherit it
            registered = "SELECT count(*) FROM procrastinate_workers"
            db_wait(lambda: conn.execute(registered).fetchone()[0])
        threads = niceness_of_threads(worker.pid)
        assert len(threads) > 1
        assert set(threads) == {expected}
    finally:
        stop(worker)


@pytest.mark.parametrize("value", ["20", "-1", "low"])
def test_worker_nice_outside_0_to_19_is_a_configuration_error(monkeypatch, value):
    monkeypatch.setenv("WORKER_NICE", value)
    with pytest.raises(config.ConfigError, match="WORKER_NICE"):
        config.load_config()
