"""Audit log endpoints: one business's changes (owners) and every change (superadmin)."""

from __future__ import annotations

from app.admin import access
from app.admin.blueprint import bp
from app.admin.wire import ok, page_params
from app.storage import audit


@bp.get("/businesses/<int:business_id>/audit")
def list_business_audit(business_id: int):
    """Changes to one business, newest first (owner or superadmin)."""
    access.require_business(business_id, owner=True)
    return _page(business_id)


@bp.get("/audit")
def list_audit():
    """Every change, including user administration, newest first (superadmin)."""
    access.require_superadmin()
    return _page(None)


def _page(business_id: int | None):
    page, per_page = page_params(50)
    rows, total = audit.list_entries(business_id, per_page, (page - 1) * per_page)
    return ok({"entries": rows, "total": total, "page": page, "per_page": per_page})
