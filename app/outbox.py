"""The outbox: hand stored replies to WhatsApp in order, and record what WhatsApp said."""

from __future__ import annotations

import logging
import time

import psycopg
from flask import current_app

from app import metrics
from app.channel.sender import GraphClient, GraphUnavailable
from app.secrets import decrypt
from app.storage import conversations

log = logging.getLogger(__name__)
# Attempts at recording a send WhatsApp accepted (see _record_sent).
RECORD_ATTEMPTS = 6


def send_queued(business: dict, customer: dict) -> None:
    """Hand every queued reply of a customer to WhatsApp, in order."""
    for message in conversations.queued_outbound(customer["id"]):
        if current_app.config["MOCK_MODE"] or customer.get("sandbox"):
            conversations.mark_sent(message["id"], f"wamid.MOCK.{message['id']}")
            continue
        result = graph_client().send_text(
            business["phone_number_id"], access_token(business), customer["wa_id"], message["body"]
        )
        if result.ok:
            _record_sent(message["id"], result.wamid)
            continue
        metrics.GRAPH_ERRORS.labels(str(result.error_code or "network")).inc()
        if result.retryable:
            # Leave it queued; the job fails and procrastinate retries the whole turn later.
            raise GraphUnavailable(f"WhatsApp send failed temporarily (code {result.error_code})")
        else:
            log.warning("WhatsApp refused message %s: code %s", message["id"], result.error_code)
            conversations.mark_send_failed(message["id"], result.error_code, result.error_title)


def _record_sent(message_id: int, wamid: str | None) -> None:
    """Record an accepted send, retrying a failed write a few times.

    WhatsApp already has the message: a reply left `queued` would be sent again by the job's
    retry. One broken pooled connection (e.g. after a database restart) fails one attempt and
    is discarded, so the next attempt normally succeeds.
    """
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            conversations.mark_sent(message_id, wamid)
            return
        except psycopg.OperationalError as exc:
            if attempt == RECORD_ATTEMPTS:
                raise
            log.warning("recording sent message %s failed (%s); retrying", message_id, exc)
            time.sleep(min(0.1 * 2**attempt, 2.0))


def mark_read(business: dict, customer: dict, last: dict) -> None:
    """Show the customer their message was read and a reply is being typed (best effort)."""
    if current_app.config["MOCK_MODE"] or customer.get("sandbox") or not last.get("wamid"):
        return
    graph_client().mark_read(business["phone_number_id"], access_token(business), last["wamid"])


def graph_client() -> GraphClient:
    """The process's Graph API client (one HTTP session, reused)."""
    ext = current_app.extensions
    if "graph_client" not in ext:
        cfg = current_app.config
        ext["graph_client"] = GraphClient(
            cfg["WHATSAPP_API_BASE_URL"],
            cfg["VERSION"],
            timeout=cfg["GRAPH_TIMEOUT"],
            max_attempts=cfg["GRAPH_MAX_ATTEMPTS"],
            backoff_base=cfg["GRAPH_BACKOFF_BASE"],
        )
    return ext["graph_client"]


def access_token(business: dict) -> str:
    """The business's own token, or the default ACCESS_TOKEN."""
    own = decrypt(business.get("access_token") or "", current_app.config["SECRET_KEY"])
    return own or current_app.config["ACCESS_TOKEN"]
