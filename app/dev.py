"""Mock-mode helpers for local development: read what the bot answered (never in production)."""

from flask import Blueprint, jsonify, request

from app import channels
from app.errors import error_response
from app.storage import console

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/messages")
def list_messages():
    """Messages of one customer after a given id, and how many inbound are still pending.

    The customer is `address` on `channel` (default whatsapp) of the business whose account on
    that channel is `account_id`.
    """
    channel = request.args.get("channel", "whatsapp")
    account_id = request.args.get("account_id", "")
    address = request.args.get("address", "")
    try:
        after_id = int(request.args.get("after_id", "0"))
    except ValueError:
        return error_response(400, "after_id must be an integer")
    if channel not in channels.REGISTRY:
        return error_response(400, "channel must be one of " + ", ".join(channels.REGISTRY))
    column = channels.registration(channel).account_column
    customer_id = console.customer_id_by_address(column, account_id, channel, address)
    if customer_id is None:
        return jsonify(messages=[], pending=0, last_id=after_id)
    rows, pending = console.messages_after(customer_id, after_id)
    last_id = max([after_id] + [r["id"] for r in rows])
    return jsonify(messages=rows, pending=pending, last_id=last_id)
