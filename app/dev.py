"""Mock-mode helpers for local development: read what the bot answered (never in production)."""

from flask import Blueprint, jsonify, request

from app.errors import error_response
from app.storage import db

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/messages")
def list_messages():
    """Messages of one customer after a given id, and how many inbound are still pending."""
    phone_number_id = request.args.get("phone_number_id", "")
    wa_id = request.args.get("wa_id", "")
    try:
        after_id = int(request.args.get("after_id", "0"))
    except ValueError:
        return error_response(400, "after_id must be an integer")
    customer = db.fetch_one(
        "SELECT c.id FROM customers c JOIN businesses b ON b.id = c.business_id"
        " WHERE b.phone_number_id = %s AND c.wa_id = %s",
        (phone_number_id, wa_id),
    )
    if customer is None:
        return jsonify(messages=[], pending=0, last_id=after_id)
    rows = db.fetch_all(
        "SELECT id, direction, type, body, status, error_code FROM messages"
        " WHERE customer_id = %s AND id > %s ORDER BY id",
        (customer["id"], after_id),
    )
    pending = db.fetch_one(
        "SELECT count(*) AS n FROM messages WHERE customer_id = %s AND direction = 'in'"
        " AND status = 'received'",
        (customer["id"],),
    )["n"]
    last_id = max([after_id] + [r["id"] for r in rows])
    return jsonify(messages=rows, pending=pending, last_id=last_id)
