"""GET /api/admin/openapi.json: the hand-maintained OpenAPI 3.1 description of this API."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import jsonify

from app.admin.blueprint import bp

SPEC_PATH = Path(__file__).with_name("openapi.json")


@cache
def spec() -> dict:
    """The OpenAPI document (a test checks it against the registered routes)."""
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


@bp.get("/openapi.json")
def get_openapi():
    """The OpenAPI document of the admin API."""
    return jsonify(spec())
