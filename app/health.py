"""GET /health (process up) and GET /ready (database reachable, migrations applied)."""

from flask import Blueprint, jsonify

from app.storage import db
from app.storage.migrate import pending

bp = Blueprint("health", __name__)


@bp.get("/health")
def get_health():
    """The process is up."""
    return jsonify(status="ok")


@bp.get("/ready")
def get_ready():
    """The database answers and every migration is applied."""
    try:
        with db.connection() as conn:
            missing = pending(conn)
    except Exception as exc:  # any database failure means "not ready"
        return jsonify(status="unavailable", database="unreachable", detail=type(exc).__name__), 503
    if missing:
        return jsonify(status="unavailable", database="ok", pending_migrations=missing), 503
    return jsonify(status="ok", database="ok", migrations="applied")
