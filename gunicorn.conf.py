"""gunicorn settings, read from the project root (gunicorn loads ./gunicorn.conf.py itself).

Command-line flags (README: Deployment) still choose workers, threads and the address.
"""

from app import heap


def post_worker_init(worker) -> None:
    """Once the app is loaded in a worker: freeze the startup heap (see app/heap.py)."""
    heap.settle()


# Each worker listens on its own socket (SO_REUSEPORT), so the kernel spreads connections
# evenly over the workers. On one shared socket, whichever worker woke first could take every
# keep-alive connection of a burst and serve it alone on one core (docs/PERFORMANCE.md §11).
reuse_port = True
