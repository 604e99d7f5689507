"""A reminder whose send runs into the business's quiet hours (planned just before them, then
held up by Meta's errors, a paused account or a backlog) is not sent at night, and the
customer's other messages go as usual; one sent within minutes of being queued goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from psycopg.types.json import Jsonb

from app import outbox
from app.booking import reminders as plans
from app.storage import businesses, db
from tests.reminder_helpers import customer, open_business

TZ = ZoneInfo("Asia/Tokyo")  # no daylight saving: the hours below mean the same every day


def _business_quiet_now(app, minutes_left: int) -> tuple[dict, datetime]:
    """A business whose quiet hours began 30 minutes ago and end `minutes_left` from now (the
    outbox reads the real clock); the business row and when they end."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start, end = now - timedelta(minutes=30), now + timedelta(minutes=minutes_left)
    quiet = {"start": f"{start.astimezone(TZ):%H:%M}", "end": f"{end.astimezone(TZ):%H:%M}"}
    business_id = open_business(
        timezone="Asia/Tokyo", whatsapp_number_id=f"q{now.timestamp():.0f}{minutes_left}"
    )
    db.execute(
        "UPDATE businesses SET reminder_quiet_hours = %s WHERE id = %s", (Jsonb(quiet), business_id)
    )
    business = businesses.get_row(business_id)
    assert plans.in_quiet_hours(business, datetime.now(UTC))
    return business, end


def _queue(app, business, kim, text, purpose, expires_at=None) -> int:
    """A message queued for Kim, as if 10 minutes ago (its send held up since)."""
    with app.app_context(), db.transaction() as conn:
        (message_id,) = outbox.queue(
            conn, business, kim, [text], purpose=purpose, expires_at=expires_at
        )
        conn.execute(
            "UPDATE messages SET created_at = created_at - interval '10 minutes' WHERE id = %s",
            (message_id,),
        )
    return message_id


def _message(message_id: int) -> dict:
    return db.fetch_one(
        "SELECT status, not_before, send_error, error_title FROM messages WHERE id = %s",
        (message_id,),
    )


def _texts(fake_graph, address: str) -> list[str]:
    return [s["text"]["body"] for s in fake_graph.messages_sent() if s.get("to") == address]


def test_a_reminder_held_up_into_quiet_hours_is_not_sent_and_a_reply_goes(app, fake_graph):
    business, _ = _business_quiet_now(app, minutes_left=60)
    kim = customer(business["id"])
    reminder = _queue(app, business, kim, "Reminder: your haircut", "reminder")
    db.execute(
        "UPDATE messages SET error_title = 'Service temporarily unavailable' WHERE id = %s",
        (reminder,),
    )
    reply = _queue(app, business, kim, "Yes, we open at 9.", "reply")

    with app.app_context():
        outbox.send_pending(business["id"], kim["id"])  # nothing waits for the morning

    assert _texts(fake_graph, kim["address"]) == ["Yes, we open at 9."]
    assert _message(reply)["status"] == "sent"
    row = _message(reminder)
    assert (row["status"], row["send_error"], row["not_before"]) == ("failed", "quiet_hours", None)
    assert row["error_title"] == (
        "held up into quiet hours; last error: Service temporarily unavailable"
    )


def test_other_messages_in_quiet_hours_go_as_usual(app, fake_graph):
    """Quiet hours are for reminders: a reply or a notice goes at once."""
    business, _ = _business_quiet_now(app, minutes_left=60)
    kim = customer(business["id"])
    for purpose in ("reply", "notice"):
        _queue(app, business, kim, f"a {purpose}", purpose)
    with app.app_context():
        outbox.send_pending(business["id"], kim["id"])
    assert _texts(fake_graph, kim["address"]) == ["a reply", "a notice"]


def test_a_reminder_sent_as_soon_as_it_is_queued_goes_even_in_quiet_hours(app, fake_graph):
    """Planned a minute before quiet hours, it may reach the outbox just after they began."""
    business, _ = _business_quiet_now(app, minutes_left=60)
    kim = customer(business["id"])
    reminder = _queue(app, business, kim, "Reminder: your haircut", "reminder")
    db.execute(
        "UPDATE messages SET created_at = now() - interval '1 minute' WHERE id = %s", (reminder,)
    )
    with app.app_context():
        outbox.send_pending(business["id"], kim["id"])
    assert _texts(fake_graph, kim["address"]) == ["Reminder: your haircut"]
