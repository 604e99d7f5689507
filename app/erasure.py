"""Customers' data: erase one customer (asked in the chat, or by staff on request), export one.

Erasure cancels the customer's upcoming appointments through the booking service (so their
calendar events are deleted), keeps past ones and no-shows without a name (their calendar
events are rewritten without it), removes their messages, name and address, and records in
the audit log that it happened, without anything that names them.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app

from app import booking, privacy
from app.booking.models import Appointment
from app.calendars import CalendarUnavailable, get_calendar
from app.storage import audit, bookings, businesses, db
from app.storage import privacy as store

log = logging.getLogger(__name__)
# The appointments kept once the upcoming ones are cancelled, each with a calendar event that
# named the customer: past bookings, and no-shows (their event stays, see `google_sync`).
KEPT_STATUSES = ("booked", "no_show")


def erase(
    business_id: int,
    customer_id: int,
    by: str,
    user_id: int | None = None,
    now: datetime | None = None,
) -> dict | None:
    """Erase one customer of the business, in one transaction; what was done (None: no such
    customer). Erasing an erased customer again changes nothing."""
    now = now or datetime.now(UTC)
    business = businesses.get_business(business_id)
    if business is None:
        return None
    with db.transaction() as conn:
        customer = store.lock_customer(conn, business_id, customer_id)
        if customer is None:
            return None
        if customer["erased_at"] is not None:
            return {"erased": True, "already": True}
        # The customer's row, then the booking lock, the order a front-desk booking takes them
        # in. A booking for this customer that got the lock first is committed, so it is found
        # and cancelled below; one that comes after waits, then finds them erased.
        booking.lock_bookings(conn, business_id)
        cancelled = [
            a.id
            for a in booking.list_for_customer(business_id, customer_id, now=now)
            if booking.cancel(business_id, customer_id, a.id, now, erasing=True).ok
        ]
        held = store.held_appointments(conn, customer_id)
        key = current_app.config.get("SECRET_KEY") or ""
        # The tombstones a redelivered message is recognised by: its address, or its BSUID.
        digest = privacy.address_hash(key, customer["channel"], customer["address"])
        user = customer.get("user_id")
        user_digest = privacy.address_hash(key, customer["channel"], user) if user else None
        removed = store.erase_customer(conn, customer_id, digest, user_digest)
        kept = [
            Appointment.from_row(row)
            for row in bookings.for_customer(conn, business_id, customer_id, None, KEPT_STATUSES)
        ]
        _rewrite_events(business, kept)
        done = {
            "erased": True,
            "already": False,
            "messages": removed["messages"],
            "cancelled_appointments": len(cancelled),
            "released_holds": len(held),
            "kept_appointments": len(kept),
        }
        audit.record(
            conn,
            user_id=user_id,
            business_id=business_id,
            action="erase",
            entity="customer",
            entity_id=customer_id,
            after={"by": by, **{k: v for k, v in done.items() if k not in ("erased", "already")}},
        )
    log.info("customer %s of business %s erased (%s)", customer_id, business_id, by)
    return done


def _rewrite_events(business: dict, kept: list) -> None:
    """Have the calendar rewrite the events of the kept appointments (now without a name)."""
    if not kept:
        return
    try:
        calendar = get_calendar(business)
    except CalendarUnavailable:
        return  # never connected: no event holds the name
    for appointment in kept:
        calendar.sync(appointment, "booked")


def export(business_id: int, customer_id: int) -> dict | None:
    """Everything stored about one customer of the business, JSON-ready (None: no such one)."""
    data = store.export_customer(business_id, customer_id)
    if data is None:
        return None
    return {"exported_at": datetime.now(UTC), "business_id": business_id, **data}
