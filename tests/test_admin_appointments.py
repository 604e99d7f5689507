"""The console's appointment list shows every move of a booking under its one id."""

from __future__ import annotations

from app.booking import service as booking
from tests.fixtures_admin import make_conversation
from tests.test_agent_conversations import at, upcoming


def iso(day, hhmm: str) -> str:
    """How the API writes an instant (as the JSON encoder does)."""
    return at(day, hhmm).isoformat()


def test_a_moved_appointment_lists_its_moves(api, world):
    day = upcoming(1)
    b = world.business_id
    c = make_conversation(b, wa_id="34600999888", name="Bo")
    appointment = booking.book(b, c, "Haircut", at(day, "10:00")).appointment
    for hhmm in ("11:00", "15:00"):
        assert booking.reschedule(b, c, appointment.id, at(day, hhmm)).ok
    data = api("GET", f"/businesses/{b}/appointments?status=booked", "staff").get_json()
    [row] = [r for r in data["appointments"] if r["id"] == appointment.id]
    assert (row["starts_at"], row["status"], row["rescheduled_from"]) == (
        iso(day, "15:00"),
        "booked",
        None,
    )
    moves = [{k: v for k, v in m.items() if k != "moved_at"} for m in row["moves"]]
    assert moves == [
        {
            "from_starts_at": iso(day, "10:00"),
            "from_ends_at": iso(day, "10:30"),
            "to_starts_at": iso(day, "11:00"),
            "to_ends_at": iso(day, "11:30"),
        },
        {
            "from_starts_at": iso(day, "11:00"),
            "from_ends_at": iso(day, "11:30"),
            "to_starts_at": iso(day, "15:00"),
            "to_ends_at": iso(day, "15:30"),
        },
    ]
    others = [r["moves"] for r in data["appointments"] if r["id"] != appointment.id]
    assert others == [[]]  # the world's own appointment was never moved
