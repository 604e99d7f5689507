"""The admin API blueprint: authentication before every view, errors in the one shape."""

from __future__ import annotations

import logging

from flask import Blueprint, request
from psycopg import errors as pg_errors

from app.admin import access
from app.admin.wire import ApiError, invalid
from app.errors import error_response

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/api/admin")


@bp.before_request
def authenticate():
    """Refuse unusable paths and query strings, then resolve the bearer token (401 if it fails)."""
    # Werkzeug's int converter takes any script's digits ("/businesses/١" is business 1); every
    # admin path is ASCII, so such a path names no row.
    if not request.path.isascii():
        raise ApiError(404, "not found")
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            raise invalid({key.replace("\x00", "") or "query": "must not contain NUL characters"})
    access.authenticate()


@bp.after_request
def no_store(response):
    """Admin answers carry tenant data and tokens: never cache them."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(ApiError)
def handle_api_error(exc: ApiError):
    """Render an ApiError (and its Retry-After, when throttled)."""
    response, status = error_response(exc.status, exc.message, **exc.extra)
    if "retry_after" in exc.extra:
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response, status


@bp.errorhandler(pg_errors.UniqueViolation)
def handle_conflict(exc: pg_errors.UniqueViolation):
    """A concurrent write won the race for a unique name: report it, do not crash."""
    log.info("admin write conflict: %s", exc.diag.constraint_name)
    return error_response(409, "conflicts with an existing record")
