"""gunicorn settings, read from the project root (gunicorn loads ./gunicorn.conf.py itself).

Command-line flags (README: Deployment) still choose workers, threads and the address.
"""

from app import cpus, heap
from app.config import pin_web_cpus, web_sched_batch  # (`config` is a gunicorn setting's name)

# Web workers each on a core of its own, and their threads as throughput work (read again on HUP).
_PIN = pin_web_cpus()
_BATCH = web_sched_batch()


def pre_fork(server, worker) -> None:
    """In the master, before each fork: the core the new worker runs on, the one fewest live
    workers are on (a restarted worker takes the core its predecessor left). See app/cpus.py."""
    cores = cpus.allowed() if _PIN else []  # as they are now: a container's may change
    worker.cpu = cpus.choose(cores, (getattr(w, "cpu", None) for w in server.WORKERS.values()))


def post_fork(server, worker) -> None:
    """In the new worker, before it loads the app: its threads as throughput work, and onto its
    core, threads and all."""
    if _BATCH and not cpus.batch():
        server.log.warning("worker %s could not use SCHED_BATCH; it runs as usual", worker.pid)
    if worker.cpu is None:
        return
    if cpus.pin(worker.cpu):
        server.log.info("worker %s runs on core %s", worker.pid, worker.cpu)
    else:
        server.log.warning("worker %s could not be pinned; it runs on any core", worker.pid)


def post_worker_init(worker) -> None:
    """Once the app is loaded in a worker: refuse to serve on gevent if psycopg would block
    the process (app/storage/db.py, `check_cooperative`), and freeze the startup heap (see
    app/heap.py)."""
    from app.storage import db  # here, in the worker: psycopg must not load in the master

    db.check_cooperative()
    heap.settle()


def worker_exit(server, worker) -> None:
    """In a gevent worker (the README's webhook processes), just before it exits: flush and
    close the logging handlers, and forget them, so that none is closed again while the
    interpreter tears gevent down (logging's cleanup then takes a lock gevent has patched and
    prints "Exception ignored in _removeHandlerRef" for each; gevent issue 2148)."""
    import sys

    if "gevent.monkey" not in sys.modules:
        return
    import logging

    logging.shutdown()
    handlers = getattr(logging, "_handlerList", None)
    if isinstance(handlers, list):
        handlers.clear()


# Each worker listens on its own socket (SO_REUSEPORT), so the kernel spreads connections
# evenly over the workers. On one shared socket, whichever worker woke first could take every
# keep-alive connection of a burst and serve it alone on one core (docs/PERFORMANCE.md §11).
reuse_port = True
