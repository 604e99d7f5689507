"""The startup heap is frozen out of full collections in gunicorn workers and job workers."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

import pytest

from app import heap

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def unfrozen():
    """Leave this test process as it was: frozen objects would never be collected."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_settle_imports_then_freezes_so_full_collections_skip_the_startup_heap(unfrozen):
    frozen = heap.settle(("json", "email.mime.text"))
    # This process's whole heap. Its other threads (the fake servers', the pools') may free
    # frozen objects meanwhile, and a freed object leaves the frozen generation: the count can
    # only shrink after the freeze, by a few.
    count = gc.get_freeze_count()
    assert 10_000 < count <= frozen and frozen - count < 1_000, (frozen, count)
    before = len(gc.get_objects(generation=2))
    garbage = [[] for _ in range(1000)]
    for item in garbage:
        item.append(item)  # cycles only a collection frees
    del garbage, item
    assert gc.collect() >= 1000  # new objects are still collected
    assert len(gc.get_objects(generation=2)) <= before + 10


def test_gunicorn_config_freezes_each_worker_after_loading_the_app(unfrozen):
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert gc.get_freeze_count() == 0
    settings["post_worker_init"](worker=None)
    assert gc.get_freeze_count() > 10_000


def test_the_job_worker_settles_its_heap_with_the_agent_loaded(monkeypatch):
    from app import commands, cpus, jobs

    calls = []
    monkeypatch.setattr(heap, "settle", lambda preload=(): calls.append(preload) or 0)
    monkeypatch.setattr(cpus, "lower", lambda niceness: calls.append(("nice", niceness)) or 10)
    monkeypatch.setattr(jobs, "run_worker", lambda app: calls.append("run"))
    from flask import Flask

    flask_app = Flask(__name__)
    flask_app.config["WORKER_NICE"] = 10
    with flask_app.app_context():
        commands.worker_command.callback()
    # settled and lowered before it runs (the job slots' threads inherit the niceness)
    assert calls == [heap.WORKER_MODULES, ("nice", 10), "run"]
    assert "app.agent.loop" in heap.WORKER_MODULES
