"""PostgreSQL storage: the connection pool and one module per table group."""

from app.storage.db import init_app

__all__ = ["init_app"]
