"""Changes that meet an erasure: each waits for the other, in one lock order, and both finish
(no deadlock). The overlap is forced by holding a row the first change needs midway."""

from __future__ import annotations

from app import erasure
from app.booking import service as booking
from app.storage import businesses, db
from tests.test_agent_conversations import at, upcoming
from tests.test_reminder_races import NUMBER, Run, holding, lock_waits, wait_until


def _booked(world) -> int:
    result = booking.book(world.business_id, world.customer_id, "Haircut", at(upcoming(3), "12:00"))
    assert result.ok, result
    return result.appointment.id


def _status(appointment_id: int) -> str:
    return db.fetch_one("SELECT status FROM appointments WHERE id = %s", (appointment_id,))[
        "status"
    ]


def test_a_staff_cancel_telling_the_customer_and_their_erasure_both_finish(app, api, world, db_url):
    """The cancel holds the booking lock while it stores its notice (a key-share lock on the
    customer's row); the erasure locks that row, then wants the booking lock. The cancel now
    takes its key share before the booking lock, so the erasure waits for it (and before,
    PostgreSQL broke the cycle by failing one of them)."""
    appointment_id = _booked(world)
    db.execute(
        "INSERT INTO send_pacing (channel, account_id) VALUES ('whatsapp', %s)"
        " ON CONFLICT DO NOTHING",
        (NUMBER,),
    )
    pacing = "SELECT 1 FROM send_pacing WHERE channel = 'whatsapp' AND account_id = %s FOR UPDATE"
    path = f"/businesses/{world.business_id}/appointments/{appointment_id}/cancel"
    with holding(db_url, pacing, (NUMBER,)):  # the cancel stops as it lines its notice up
        cancelling = Run(app, lambda: api("POST", path, "staff", json={}).status_code)
        wait_until(lambda: lock_waits("%send_pacing%"), "the cancel to line its notice up")
        erasing = Run(app, lambda: erasure.erase(world.business_id, world.customer_id, "staff"))
        wait_until(lambda: lock_waits() == 2, "the erasure to wait too")
    assert cancelling.outcome() == 200
    assert erasing.outcome()["erased"] is True
    assert _status(appointment_id) == "cancelled"
    row = db.fetch_one("SELECT erased_at FROM customers WHERE id = %s", (world.customer_id,))
    assert row["erased_at"] is not None


def test_connecting_google_while_a_customer_is_erased_both_finish(app, world, db_url):
    """The erasure holds the appointment it cancelled and stores rows naming the business (a
    key-share lock on its row); connecting Google marks the upcoming appointments for writing.
    It takes the booking lock first and does not block those key-share locks, so it waits for
    the erasure (before, it locked the business's row and waited for the appointment: a
    deadlock)."""
    appointment_id = _booked(world)
    turns = "SELECT 1 FROM turns WHERE customer_id = %s FOR UPDATE"
    with holding(db_url, turns, (world.customer_id,)):  # the erasure stops at the turns
        erasing = Run(app, lambda: erasure.erase(world.business_id, world.customer_id, "staff"))
        wait_until(lambda: lock_waits("%UPDATE turns%"), "the erasure to reach the turns")
        connecting = Run(
            app,
            lambda: businesses.save_google_calendar(
                world.business_id, {"calendar_id": "new@group.calendar.google.com"}
            ),
        )
        wait_until(lambda: lock_waits() == 2, "the connect to wait too")
    assert erasing.outcome()["erased"] is True
    assert connecting.outcome() == 0  # the only booking was cancelled by the erasure
    assert _status(appointment_id) == "cancelled"
