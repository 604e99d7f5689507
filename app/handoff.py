"""Human handoff: the bot steps aside, staff answer from the console, the bot comes back.

A takeover (asked by the agent's `handoff_to_human` tool or the flow) pauses the bot for the
customer and marks the conversation "needs attention", with the customer's notice, the audit
row and the staff number's notice in the same transaction as the turn's reply. A staff reply
goes through the outbox on the customer's channel, only when the channel lets it reach them
now, and keeps the bot paused for the business's quiet time; then (or on "Resume bot") the bot
answers again. Messages that arrive while it is paused are stored and never answered later.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from app import channels, outbox
from app.flow import handoff as flow_handoff
from app.flow import lang
from app.storage import audit, businesses, conversations
from app.storage import handoff as store
from app.storage.db import transaction

log = logging.getLogger(__name__)

# The team's notice, in the business's language (`lang.of_business`; English for any other).
STAFF_NOTICE = {
    "en": "{business}: {customer} needs a person ({reason}). {summary} Answer in the console.",
    "es": (
        "{business}: {customer} necesita que le atienda una persona ({reason}). {summary}"
        " Responde desde la consola."
    ),
}
A_CUSTOMER = {"en": "A customer", "es": "Un cliente"}  # one who gave no profile name


class Refused(Exception):
    """A staff reply the customer's channel would not deliver now (nothing was stored): the
    message says why in English, `reason` names it for the console to say in the reader's words."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def take_over(
    conn,
    business: Mapping[str, Any],
    customer: Mapping[str, Any],
    request: Mapping[str, Any],
    now: datetime,
    user_id: int | None = None,
    about: int | None = None,
) -> None:
    """Pause the bot and mark the conversation for the team, in the caller's transaction. The
    staff notice points at the customer's message `about` (`in_reply_to`), so that erasing the
    customer finds and deletes it too."""
    before = store.state(conn, business["id"], customer["id"])
    store.take_over(
        conn, business["id"], customer["id"], request["reason"], request["summary"], now
    )
    audit.record(
        conn,
        user_id=user_id,
        business_id=business["id"],
        action="handoff",
        entity="customer",
        entity_id=customer["id"],
        before=_flags(before),
        after={"bot_paused": True, "needs_attention": True, "reason": request["reason"]},
    )
    number = business.get("staff_notify_number")
    if number and not customer.get("sandbox"):
        contact = store.staff_contact(conn, business["id"], number)
        most = channels.get(contact["channel"]).limits.template_parameter_chars
        text = staff_notice(business, customer, request, most)
        outbox.queue(conn, business, contact, [text], "notice", about)


def staff_notice(
    business: Mapping[str, Any], customer: Mapping[str, Any], request: Mapping[str, Any], most: int
) -> str:
    """The team's notice of a handoff, one line, in the business's language (the bot's own
    reasons too; the customer's words and a reason the model wrote are quoted as written). With
    `most` (the size of a template's text on the staff number's channel, as the notice goes
    outside its window) a long summary is shortened to fit, the rest kept whole: the console
    has it all."""
    code = lang.of_business(business)
    code = code if code in STAFF_NOTICE else "en"

    def notice(summary: str) -> str:
        text = STAFF_NOTICE[code].format(
            business=business["name"],
            customer=customer.get("profile_name") or A_CUSTOMER[code],
            reason=flow_handoff.reason_in(request["reason"], code),
            summary=f'"{summary}"' if summary else "",
        )
        return " ".join(text.split())

    summary = " ".join(request["summary"].split())
    text, keep = notice(summary), len(summary)
    while most and len(text) > most and keep > 0:
        keep = max(0, keep - (len(text) - most) - 1)
        text = notice(summary[:keep].rstrip() + "…" if keep else "")
    return text


def taken_over(conn, business_id: int, customer_id: int) -> bool:
    """Whether a person has the conversation now (the bot paused), its row locked for the
    caller's transaction: a pause committed before it is seen, one after it waits for it."""
    state = store.state(conn, business_id, customer_id)
    return bool(state and state["bot_paused"])


def refusal(
    business: Mapping[str, Any], customer: Mapping[str, Any], now: datetime, text: str = ""
) -> Refused | None:
    """Why a staff reply (`text`) cannot reach the customer now, or None when it can."""
    if customer.get("erased_at") is not None:
        return Refused(
            "the customer's data was erased at their request; they can write again to start anew",
            "customer_erased",
        )
    if customer.get("sandbox"):
        return None
    channel = channels.get(customer["channel"])
    last = customer.get("last_inbound_at")
    if last is None:
        return Refused(
            f"the customer has never written on {channel.name}, so no reply can reach them",
            "never_wrote",
        )
    if outbox.window_open(channel, customer, now):
        return None
    hours = (now - last).total_seconds() / 3600
    if outbox.can_go_outside_window(business, customer, "staff", now):
        # It goes as the reply template, the text its one parameter (made one line).
        most, length = channel.limits.template_parameter_chars, len(" ".join(text.split()))
        if most and length > most:
            return Refused(
                f"the customer last wrote {hours:.0f} hours ago, so the reply goes as the reply "
                f"template, whose text holds at most {most} characters (this one has {length}): "
                "shorten it, or wait for the customer to write again",
                "template_too_long",
            )
        return None
    if channel.name == "whatsapp":
        return Refused(
            f"the customer last wrote {hours:.0f} hours ago: WhatsApp allows free text only "
            "within 24 hours of their last message, and no reply template is configured "
            "(staff_reply_template); wait for the customer to write again",
            "no_reply_template",
        )
    return Refused(
        f"the customer last wrote {hours / 24:.0f} days ago: {channel.name} lets a person "
        "answer only within 7 days of their last message",
        "window_closed",
    )


def staff_reply(business_id: int, customer_id: int, user_id: int, text: str, now: datetime) -> dict:
    """Queue a staff member's reply to the customer; Refused when the channel forbids it now.

    Returns {"message_id", "paused_until"}.
    """
    business = businesses.get_row(business_id)
    customer = conversations.get_customer(customer_id)
    refused = refusal(business, customer, now, text)
    if refused:
        raise refused
    until = _quiet_until(business, now)
    with transaction() as conn:
        before = store.state(conn, business_id, customer_id)
        [message_id] = outbox.queue(conn, business, customer, [text], "staff")
        store.answered(conn, business_id, customer_id, [message_id], user_id, until)
        audit.record(
            conn,
            user_id=user_id,
            business_id=business_id,
            action="staff_reply",
            entity="customer",
            entity_id=customer_id,
            before=_flags(before),
            after={"bot_paused": True, "message_id": message_id, "paused_until": until},
        )
    return {"message_id": message_id, "paused_until": until}


def _quiet_until(business: Mapping[str, Any], now: datetime) -> datetime | None:
    """When the bot answers again after a staff reply at `now`: after the business's quiet
    time, or None (when someone resumes it) without one."""
    quiet = business.get("handoff_quiet_minutes")
    return now + timedelta(minutes=quiet) if quiet else None


def answered_elsewhere(business_id: int, customer_id: int, now: datetime) -> bool:
    """A person at the business answered the customer on the channel itself (Messenger's Page
    inbox, the WhatsApp Business app; the webhook stored the answer as their staff reply): keep
    the bot paused for the business's quiet time, as a reply from the console does. False when
    there was no one to pause (the customer erased meanwhile)."""
    until = _quiet_until(businesses.get_row(business_id) or {}, now)
    with transaction() as conn:
        before = store.state(conn, business_id, customer_id)
        if before is None or before["erased_at"] is not None:
            return False
        store.answered(conn, business_id, customer_id, [], None, until)
        audit.record(
            conn,
            user_id=None,
            business_id=business_id,
            action="staff_reply",
            entity="customer",
            entity_id=customer_id,
            before=_flags(before),
            after={"bot_paused": True, "paused_until": until, "on": "channel"},
        )
    log.info("bot paused for customer %s: a person answered on the channel", customer_id)
    return True


def resume(conn, business_id: int, customer_id: int, user_id: int | None, why: str) -> None:
    """Let the bot answer again (in the caller's transaction); `why`: "staff" or "quiet time"."""
    before = store.state(conn, business_id, customer_id)
    store.resume(conn, business_id, customer_id)
    audit.record(
        conn,
        user_id=user_id,
        business_id=business_id,
        action="resume",
        entity="customer",
        entity_id=customer_id,
        before=_flags(before),
        after={"bot_paused": False, "by": why},
    )


def resume_due(now: datetime) -> int:
    """Resume every conversation whose quiet time after the last staff reply has passed by
    `now` (the worker calls it periodically); return how many."""
    resumed = 0
    for row in store.due_resumes(now):
        if resume_if_due(row["business_id"], row["customer_id"], now):
            resumed += 1
    return resumed


def resume_if_due(business_id: int, customer_id: int, now: datetime) -> bool:
    """Resume one conversation if its quiet time has passed (checked under its row lock)."""
    with transaction() as conn:
        current = store.state(conn, business_id, customer_id)
        due = current and current["bot_paused"] and current["paused_until"]
        if not due or current["paused_until"] > now:
            return False
        resume(conn, business_id, customer_id, None, "quiet time")
    log.info("bot resumed for customer %s after the quiet time", customer_id)
    return True


def _flags(state: Mapping[str, Any]) -> dict:
    return {"bot_paused": state["bot_paused"], "needs_attention": state["needs_attention"]}
