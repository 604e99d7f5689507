"""The model providers' circuit breakers, for superadmins (the console's businesses page)."""

from __future__ import annotations

from flask import current_app

from app.admin import access
from app.admin.blueprint import bp
from app.admin.wire import ok


@bp.get("/llm-breakers")
def list_llm_breakers():
    """Each model provider's breaker: closed, half_open or open (superadmin)."""
    access.require_superadmin()
    breaker = current_app.extensions.get("llm_breaker")
    return ok({"breakers": breaker.report() if breaker else []})
