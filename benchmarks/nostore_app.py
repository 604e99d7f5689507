"""The bot's app with the webhook's store taken out, to measure what the store costs.

    python -m benchmarks.webhook_ab . --other-app "benchmarks.nostore_app:create_app()"

Every request runs the webhook's whole Python path (read, verify, decode, parse, the delivery
rows, the statement and its JSON parameter, built by the real `conversations.send_inbound`), but
the statement goes to `webhook_path`'s connection without a database, which answers every
delivery as stored at once. Nothing is stored: for measurement only (docs/PERFORMANCE.md §25).
"""

from __future__ import annotations

from flask import Flask

from app import create_app as _create_app
from benchmarks.webhook_path import _Writer


def create_app() -> Flask:
    app = _create_app()
    app.extensions["webhook_commits"] = _Writer()
    return app
