"""Keep the long-lived startup heap out of the garbage collector's full passes.

A web or worker process builds ~180,000 long-lived objects at startup (Flask, psycopg,
procrastinate, LangChain and pydantic models). CPython's full (generation 2) collection walks
all of them, stopping every thread of the process meanwhile: 100–600 ms each on the 2-core
machines of docs/PERFORMANCE.md, which showed up as the webhook's p99. `gc.freeze()` moves
them to a permanent generation that collections skip; objects created later are collected as
before, and frozen ones are still freed by reference counting.
"""

from __future__ import annotations

import gc
import importlib


def settle(preload: tuple[str, ...] = ()) -> int:
    """Import `preload` (modules the process would otherwise import on first use), collect
    once, then freeze what is left; return how many objects were frozen."""
    for name in preload:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


# What a job worker imports on its first turn (the agent and its model client).
WORKER_MODULES = ("app.agent.loop", "app.flow", "langchain_openai")
