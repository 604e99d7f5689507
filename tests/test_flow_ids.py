"""The ids on our buttons read back as what they stand for, and nothing else does."""

from datetime import UTC, datetime

import pytest

from app.flow import ids

START = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


def test_a_reminders_confirm_names_the_time_it_confirms():
    tap = ids.parse(ids.reminder("confirm", 42, START))
    assert (tap.kind, tap.action, tap.appointment_id, tap.start) == ("rem", "confirm", 42, START)
    assert ids.reminder("confirm", 42, START) == "rem:confirm:42:2026-12-08T10:00Z"


def test_a_reminders_cancel_names_the_time_it_cancels():
    tap = ids.parse(ids.reminder("cancel", 42, START))
    assert (tap.kind, tap.action, tap.appointment_id, tap.start) == ("rem", "cancel", 42, START)
    assert ids.reminder("cancel", 42, START) == "rem:cancel:42:2026-12-08T10:00Z"
    assert ids.reminder("change", 42, START) == "rem:change:42"


@pytest.mark.parametrize("action", ids.REMINDER_ACTIONS)
def test_a_reminder_button_without_a_time_reads_as_before(action):
    tap = ids.parse(f"rem:{action}:42")
    assert (tap.kind, tap.action, tap.appointment_id, tap.start) == ("rem", action, 42, None)


@pytest.mark.parametrize(
    "payload",
    [
        "rem:change:42:2026-12-08T10:00Z",  # only a Confirm and a Cancel name a time
        "rem:confirm:42:2026-02-30T10:00Z",  # no such day
        "rem:confirm:42:2026-12-08T10:00",  # not UTC
        "rem:confirm:42:",
    ],
)
def test_malformed_reminder_ids_are_not_taps(payload):
    assert ids.parse(payload) is None


def test_a_move_lists_row_names_the_appointment_and_its_new_time():
    tap = ids.parse(ids.move_to(7, START))
    assert (tap.kind, tap.appointment_id, tap.start) == ("to", 7, START)
    assert ids.is_time(ids.move_to(7, START)) and ids.is_time(ids.slot(3, START))
    assert not ids.is_time(ids.more(3, START.date(), START.time()))
