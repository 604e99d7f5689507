"""Customers' data on request: erase one customer, or export everything stored about them."""

from __future__ import annotations

from app import erasure
from app.admin import access
from app.admin.blueprint import bp
from app.admin.wire import ApiError, check_id, ok


@bp.post("/businesses/<int:business_id>/conversations/<int:customer_id>/erase")
def erase_conversation(business_id: int, customer_id: int):
    """Erase a customer on their request: messages, name and address go, upcoming appointments
    are cancelled (their calendar events deleted), past ones stay without a name."""
    access.require_business(business_id)
    done = erasure.erase(business_id, check_id(customer_id), by="staff", user_id=access.user_id())
    if done is None:
        raise ApiError(404, "no such conversation")
    return ok(done)


@bp.get("/businesses/<int:business_id>/conversations/<int:customer_id>/export")
def export_conversation(business_id: int, customer_id: int):
    """Everything stored about one customer, as a JSON download (an access request)."""
    access.require_business(business_id)
    data = erasure.export(business_id, check_id(customer_id))
    if data is None:
        raise ApiError(404, "no such conversation")
    response, status = ok(data)
    name = f"customer-{business_id}-{customer_id}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response, status
