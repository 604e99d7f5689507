"""Mock-mode helpers for local development: read what the bot answered (never in production)."""

from flask import Blueprint, jsonify, request

from app.errors import error_response
from app.storage import console

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
    customer_id = console.customer_id_by_number(phone_number_id, wa_id)
    if customer_id is None:
        return jsonify(messages=[], pending=0, last_id=after_id)
    rows = console.messages_after(customer_id, after_id)
    pending = console.unanswered_count(customer_id)
    last_id = max([after_id] + [r["id"] for r in rows])
    return jsonify(messages=rows, pending=pending, last_id=last_id)
