"""Firing a reminder: re-read the appointment at its time, then hand the message to the outbox.

The job that calls `fire` was queued with the booking (`app.booking.reminders`); it runs at the
reminder's due time, or later after an outage. Nothing goes for a cancelled or moved
appointment, nor once the appointment has started; the message expires at the start, so a
send held up by retries never arrives after it. A cancel, a move or reminders turned off at the
same moment is serialised with the firing on the reminder's row (`store.for_firing`,
`store.withdraw_queued`): either the reminder is queued first and the change withdraws it, or
the change commits first and the firing sees it. The outbox decides at send time what the
customer's window allows: text and buttons inside it; outside, the business's template
(WhatsApp) or the CONFIRMED_EVENT_UPDATE tag (Messenger). A reminder whose job fails on every
attempt is recorded `failed` after the last (`give_up`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from flask import current_app

from app import channels, flow, metrics, outbox
from app.booking import reminders as plans
from app.channels.base import Button, Capability, Outbound, Template
from app.flow import reminders as words
from app.storage import businesses, db
from app.storage import reminders as store

log = logging.getLogger(__name__)
EARLY = timedelta(seconds=60)  # a job this much before its time (clock skew) still sends


class FireLater(Exception):
    """The reminder may not go yet (too early, or quiet hours): run it again in `wait` s."""

    def __init__(self, wait: float):
        super().__init__(f"reminder again in {wait:.0f} s")
        self.wait = wait


def fire(
    appointment_id: int, offset: int, due_at: datetime | None = None, now: datetime | None = None
) -> str:
    """Send an appointment's reminder if it is still due; say what happened.

    `due_at` is the time the job was queued for: a job left from before a move finds another
    time on the row and does nothing (the move queued its own).
    """
    now = now or datetime.now(UTC)
    with db.transaction() as conn:
        row = store.for_firing(conn, appointment_id, offset)
        if row is None:
            return "missing"
        if row["state"] != "pending":
            return row["state"]
        if due_at is not None and row["due_at"] != due_at:
            return "moved"
        outcome = _outcome(row, now)
        if outcome == "send":
            business = businesses.get_business(row["business_id"], document=False)
            outcome = _blocked(business, row, now) or "queued"
        if due_at is not None:  # its job, acted on now (not put off): how late it ran
            metrics.REMINDER_DELAY.observe(max((now - due_at).total_seconds(), 0.0))
        if outcome != "queued":
            store.mark_fired(conn, appointment_id, offset, outcome, None)
            return outcome
        [message_id] = outbox.queue(
            conn,
            business,
            {"id": row["customer_id"], "channel": row["channel"], "sandbox": row["sandbox"]},
            [_message(business, row, now)],
            "reminder",
            expires_at=row["starts_at"],
        )
        store.mark_fired(conn, appointment_id, offset, "queued", message_id)
    return "queued"


def give_up(
    appointment_id: int, offset: int, due_at: datetime, planned_again: Callable[[], bool]
) -> None:
    """The reminder's job failed on its last attempt (the database or a fault of ours refused it
    every time): record it `failed`, so the console no longer shows it waiting to be sent when
    nothing will send it. Its failed firing rolled back, so nothing of it was queued.

    A move may have planned it again meanwhile, with a job of its own (`planned_again` says
    whether one is waiting or running), even for the same due time (quiet hours pull two
    times back to one): that plan is left alone. The reminder's row is locked first: a move
    writes the row and queues its job in one transaction, so once the lock is held, a new
    plan's job is either committed and seen, or yet to come after this."""
    with db.transaction() as conn:
        if store.for_firing(conn, appointment_id, offset) is None or planned_again():
            return
        failed = store.mark_failed(conn, appointment_id, offset, due_at)
    if failed:
        log.error("reminder %s/%s not sent: its job failed every attempt", appointment_id, offset)


def _outcome(row: dict, now: datetime) -> str:
    if row["status"] != "booked":
        return "cancelled"
    if now >= row["starts_at"]:
        return "missed"  # after an outage: never once the appointment has begun
    if now < row["due_at"] - EARLY:
        raise FireLater((row["due_at"] - now).total_seconds())
    return "send"


def _blocked(business: dict, row: dict, now: datetime) -> str | None:
    """Why the reminder does not go now (off, no messaging channel, or late into quiet
    hours), else None."""
    if row["channel"] not in channels.REGISTRY:
        return "skipped"  # a phone or walk-in customer: no channel to remind them on
    off = row["appointment_off"] or row["customer_off"] or row["opted_out"]
    # A deactivated business's messages are not read (the webhook ignores its accounts): a
    # reminder would offer buttons that do nothing.
    if off or not business["reminders_enabled"] or not business["active"]:
        return "off"
    if plans.in_quiet_hours(business, now):
        # Only a late job gets here (due times are planned outside quiet hours).
        resume = plans.quiet_ends(business, now)
        if resume < row["starts_at"]:
            raise FireLater((resume - now).total_seconds())
        return "missed"
    return None


def _message(business: dict, row: dict, now: datetime) -> Outbound:
    """The reminder for the customer's channel, with the template it becomes outside the
    window when the business has one (WhatsApp)."""
    appointment = {
        "id": row["appointment_id"],
        "service_name": row["service_name"],
        "starts_at": row["starts_at"],
    }
    language = words.customer_language(business, row["customer_id"], now)
    channel = channels.get(row["channel"])
    plain = current_app.config["MOCK_MODE"] or bool(row["sandbox"])
    shaped = flow.for_channel(words.message(business, appointment, language), channel, plain)
    message = shaped[0] if isinstance(shaped[0], Outbound) else Outbound(text="\n".join(shaped))
    chosen = business.get("reminder_template")
    if chosen and Capability.TEMPLATES in channel.capabilities:
        # The template's own words are in its language: the date written into it is too.
        parameters = words.template_parameters(
            business, appointment, row["profile_name"] or "", chosen["language"]
        )
        buttons = tuple(Button(i, i) for i in words.template_button_ids(appointment))
        template = Template(chosen["name"], chosen["language"], parameters, buttons)
        message = replace(message, template=template)
    return message


def opt_out(business_id: int, customer_id: int) -> None:
    """The customer asked for no more reminders: none of theirs goes from now on (those
    waiting in the outbox are withdrawn in the same transaction)."""
    with db.transaction() as conn:
        store.set_customer_off(conn, business_id, customer_id, True)
        store.withdraw_customer_queued(conn, business_id, customer_id, plans.TURNED_OFF)
    log.info("customer %s turned reminders off", customer_id)
