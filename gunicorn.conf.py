"""gunicorn settings, read from the project root (gunicorn loads ./gunicorn.conf.py itself).

Command-line flags (README: Deployment) still choose workers, threads and the address.
"""

from app import heap


def post_worker_init(worker) -> None:
    """Once the app is loaded in a worker: freeze the startup heap (see app/heap.py)."""
    heap.settle()
