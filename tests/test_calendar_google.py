"""Google backend: staff events count as busy time; bookings become one event each, kept in step."""

from datetime import date

import pytest

from app.booking import book, cancel, find_slots, reschedule
from app.calendars import event_id, get_calendar, google_settings
from app.calendars.google import busy_from
from app.calendars.google_settings import client_for
from app.calendars.google_state import state
from app.storage import appointments
from app.storage.db import fetch_one
from tests.fake_gcal.accounts import CAL, connect_user, google_salon, service_account_info
from tests.fixtures_booking import NOW, madrid, make_business, make_customer

THU_11 = {"dateTime": "2026-06-04T11:00:00+02:00"}, {"dateTime": "2026-06-04T12:00:00+02:00"}

pytest_plugins = ["tests.fake_gcal.fixtures"]


def sync_row(appointment_id: int) -> dict:
    return fetch_one(
        "SELECT calendar_sync, calendar_event_id FROM appointments WHERE id = %s",
        (appointment_id,),
    )


@pytest.fixture
def salon(app, gcal):
    return google_salon(gcal)


def test_timed_staff_event_takes_one_seat(salon, gcal):
    gcal.add_event(
        CAL,
        summary="Dentist",
        start={"dateTime": "2026-06-02T09:00:00+02:00"},
        end={"dateTime": "2026-06-02T10:00:00+02:00"},
    )
    first, second = make_customer(salon), make_customer(salon)
    assert book(salon, first, "Haircut", madrid("2026-06-02 09:00"), now=NOW).code == "booked"
    refused = book(salon, second, "Haircut", madrid("2026-06-02 09:00"), now=NOW)
    assert refused.code == "full"  # the dentist and the first haircut fill both seats
    assert book(salon, second, "Haircut", madrid("2026-06-02 09:30"), now=NOW).code == "booked"
    listed = gcal.calls("GET", "/events")
    assert listed and all(r.query["singleEvents"] == "true" for r in listed)


def test_all_day_event_closes_the_whole_local_day(salon, gcal):
    gcal.add_event(CAL, summary="Holiday", start={"date": "2026-06-03"}, end={"date": "2026-06-04"})
    wed, thu = date(2026, 6, 3), date(2026, 6, 4)
    closed = find_slots(salon, "Haircut", wed, wed, now=NOW)
    assert (closed.code, closed.slots) == ("none_free", ())
    assert closed.alternatives[0] == madrid("2026-06-04 09:00")
    assert find_slots(salon, "Haircut", thu, thu, now=NOW).slots[0] == madrid("2026-06-04 09:00")
    refused = book(salon, make_customer(salon), "Haircut", madrid("2026-06-03 12:00"), now=NOW)
    assert refused.code == "full"


def test_a_contacts_birthday_does_not_close_the_business(salon, gcal):
    """Google lists its generated birthdays (all-day, yearly) when `eventTypes` is not asked."""
    gcal.add_event(
        CAL,
        summary="Ana's birthday",
        eventType="birthday",
        transparency="transparent",
        start={"date": "2026-06-03"},
        end={"date": "2026-06-04"},
        recurrence=["RRULE:FREQ=YEARLY"],
        birthdayProperties={"type": "birthday"},
    )
    wed = date(2026, 6, 3)
    assert find_slots(salon, "Haircut", wed, wed, now=NOW).code == "available"
    booked = book(salon, make_customer(salon), "Haircut", madrid("2026-06-03 12:00"), now=NOW)
    assert booked.code == "booked"


def test_an_all_day_event_marked_free_still_closes_the_day():
    """Google makes every all-day event "free" unless told otherwise: a closed day entered the
    usual way is one, so its transparency says nothing of the business's meaning."""
    business = {"id": 7, "timezone": "Europe/Madrid", "max_concurrent": 3}
    day = {"start": {"date": "2026-06-05"}, "end": {"date": "2026-06-06"}}
    holiday = {**day, "id": "h1", "transparency": "transparent"}
    assert busy_from(business, [holiday]) == [
        (madrid("2026-06-05 00:00"), madrid("2026-06-06 00:00"), 3)
    ]


def test_recurring_event_instances_are_counted(salon, gcal):
    start, end = THU_11
    gcal.add_event(
        CAL, id="weeklymeeting", start=start, end=end, recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"]
    )
    # The second instance (a week after the series starts) still holds a seat.
    customers = [make_customer(salon) for _ in range(3)]
    codes = [book(salon, c, "Haircut", madrid("2026-06-11 11:00"), now=NOW).code for c in customers]
    assert codes == ["booked", "full", "full"]
    # After the series ends, both seats are free again.
    after = [book(salon, c, "Haircut", madrid("2026-06-25 11:00"), now=NOW).code for c in customers]
    assert after == ["booked", "booked", "full"]


def test_the_bots_own_events_are_not_counted_twice(salon, gcal, drain):
    first = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 15:00"), now=NOW)
    drain()
    assert event_id(first.appointment.id) in gcal.live_events(CAL)
    second = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 15:00"), now=NOW)
    third = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 15:00"), now=NOW)
    assert (second.code, third.code) == ("booked", "full")


def test_free_declined_cancelled_and_out_of_office_events():
    business = {"id": 7, "timezone": "Europe/Madrid", "max_concurrent": 3}
    timed = {"start": THU_11[0], "end": THU_11[1]}
    ours = {"business_id": "7"}
    events = [
        {**timed, "id": "a1", "transparency": "transparent"},
        {**timed, "id": "a2", "attendees": [{"self": True, "responseStatus": "declined"}]},
        {**timed, "id": "a3", "status": "cancelled"},
        {**timed, "id": "a4", "eventType": "workingLocation"},
        {**timed, "id": "appt00000007", "extendedProperties": {"private": ours}},
        {**timed, "id": "a5", "extendedProperties": {"private": {"wa_booking_bot": "1", **ours}}},
        {**timed, "id": "a6", "eventType": "outOfOffice"},
        {"id": "a7", "start": {"date": "2026-06-05"}, "end": {"date": "2026-06-06"}},
    ]
    assert busy_from(business, events) == [
        (madrid("2026-06-04 00:00"), madrid("2026-06-05 00:00"), 3),
        (madrid("2026-06-05 00:00"), madrid("2026-06-06 00:00"), 3),
    ]


def test_booking_writes_one_event_with_the_deterministic_id(salon, gcal, drain):
    customer = make_customer(salon)
    result = book(salon, customer, "Hair coloring", madrid("2026-06-02 10:00"), now=NOW)
    appointment = result.appointment
    assert sync_row(appointment.id)["calendar_sync"] == "pending"
    drain()
    eid = event_id(appointment.id)
    assert list(gcal.live_events(CAL)) == [eid]
    event = gcal.live_events(CAL)[eid]
    assert event["start"] == {"dateTime": "2026-06-02T10:00:00+02:00", "timeZone": "Europe/Madrid"}
    assert event["end"]["dateTime"] == "2026-06-02T11:30:00+02:00"
    address = fetch_one("SELECT address FROM customers WHERE id = %s", (customer,))["address"]
    assert "Hair coloring" in event["summary"] and "Hair coloring (90 min)" in event["description"]
    assert address in event["description"]
    private = event["extendedProperties"]["private"]
    assert private["appointment_id"] == str(appointment.id) and private["wa_booking_bot"] == "1"
    assert private["customer_address"] == address and private["service"] == "Hair coloring"
    assert sync_row(appointment.id) == {"calendar_sync": "synced", "calendar_event_id": eid}


def test_a_repeated_job_updates_instead_of_creating_a_second_event(salon, gcal, drain):
    appointment = book(
        salon, make_customer(salon), "Haircut", madrid("2026-06-02 10:00"), now=NOW
    ).appointment
    drain()
    get_calendar(fetch_one("SELECT * FROM businesses WHERE id = %s", (salon,))).sync(
        appointment, "booked"
    )
    drain()
    assert len(gcal.calendars[CAL].events) == 1
    # The event id stored by the first job sends the second straight to a PATCH.
    assert [r.status for r in gcal.calls("POST", "/events")] == [200]
    assert [r.status for r in gcal.calls("PATCH", "/events")] == [200]
    assert sync_row(appointment.id)["calendar_sync"] == "synced"


def test_reschedule_and_cancel_move_and_delete_the_same_event(salon, gcal, drain):
    alice = make_customer(salon)
    first = book(salon, alice, "Haircut", madrid("2026-06-02 10:00"), now=NOW).appointment
    drain()
    eid = event_id(first.id)
    moved = reschedule(salon, alice, first.id, madrid("2026-06-03 16:00"), now=NOW).appointment
    assert moved.id == first.id
    drain()
    assert list(gcal.live_events(CAL)) == [eid]
    event = gcal.live_events(CAL)[eid]
    assert event["start"]["dateTime"] == "2026-06-03T16:00:00+02:00"
    assert event["end"]["dateTime"] == "2026-06-03T16:30:00+02:00"
    assert event["extendedProperties"]["private"]["appointment_id"] == str(first.id)
    assert sync_row(first.id) == {"calendar_sync": "synced", "calendar_event_id": eid}
    # Moved by one PATCH of the same event: never re-created, never deleted.
    assert [(r.status, r.path.rsplit("/", 1)[-1]) for r in gcal.calls("PATCH", "/events")] == [
        (200, eid)
    ]
    assert [r.status for r in gcal.calls("POST", "/events")] == [200]
    assert gcal.calls("DELETE", "/events") == []
    cancel(salon, alice, first.id, now=NOW)
    drain()
    assert gcal.live_events(CAL) == {}
    assert gcal.calendars[CAL].events[eid]["status"] == "cancelled"
    assert sync_row(first.id)["calendar_sync"] == "synced"


def test_a_move_during_a_sync_is_left_pending_for_the_next_job(salon, gcal, drain):
    alice = make_customer(salon)
    first = book(salon, alice, "Haircut", madrid("2026-06-02 10:00"), now=NOW).appointment
    drain()
    read = appointments.sync_chain(first.id)[-1]  # what a job read before calling Google
    assert reschedule(salon, alice, first.id, madrid("2026-06-03 16:00"), now=NOW).ok
    assert appointments.mark_synced([first.id], event_id(first.id), read) == 0
    assert sync_row(first.id)["calendar_sync"] == "pending"
    drain()
    eid = event_id(first.id)
    assert gcal.live_events(CAL)[eid]["start"]["dateTime"] == "2026-06-03T16:00:00+02:00"
    assert sync_row(first.id) == {"calendar_sync": "synced", "calendar_event_id": eid}


def test_service_account_credentials_sign_in_offline(app, gcal, drain):
    salon = make_business()
    info = service_account_info(gcal)
    gcal.share(CAL, info["client_email"], "writer")
    google_settings.save(salon, info, CAL, gcal.api_endpoint)
    result = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 10:00"), now=NOW)
    drain()
    assert list(gcal.live_events(CAL)) == [event_id(result.appointment.id)]
    grants = {r.body["grant_type"] for r in gcal.calls("POST", "/token")}
    assert grants == {"urn:ietf:params:oauth:grant-type:jwt-bearer"}


def test_client_is_built_once_per_business_and_credentials(salon, gcal):
    business = fetch_one("SELECT * FROM businesses WHERE id = %s", (salon,))
    client = client_for(business)
    assert client_for(business) is client
    assert client._http().http.timeout == state().policy.timeout == 5.0
    for _ in range(3):
        find_slots(salon, "Haircut", date(2026, 6, 2), date(2026, 6, 2), now=NOW)
    assert len(gcal.calls("POST", "/token")) == 1  # one sign-in, then the token is reused
    connect_user(gcal, salon)  # new credentials: a new client
    reconnected = fetch_one("SELECT * FROM businesses WHERE id = %s", (salon,))
    assert client_for(reconnected) is not client


def test_an_out_of_office_morning_refuses_a_booking_that_afternoon_as_the_slots_show(salon, gcal):
    """The event closes its whole local day: a time after it ended that day is not offered,
    and booking it directly is refused the same way."""
    gcal.add_event(
        CAL,
        summary="Out of office",
        eventType="outOfOffice",
        start={"dateTime": "2026-06-02T09:00:00+02:00"},
        end={"dateTime": "2026-06-02T10:00:00+02:00"},
    )
    tue = date(2026, 6, 2)
    assert find_slots(salon, "Haircut", tue, tue, now=NOW).slots == ()
    result = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 15:00"), now=NOW)
    assert (result.ok, result.code) == (False, "full")


def test_a_retried_booking_after_google_access_is_lost_answers_as_it_was_booked(salon, gcal):
    """The retry finds its booking by its key before refusing for the calendar: it is not told
    "nothing was booked" about a booking that stands."""
    kim = make_customer(salon)
    at = madrid("2026-06-02 10:00")
    assert book(salon, kim, "Haircut", at, now=NOW).code == "booked"
    gcal.revoke(next(iter(gcal.refresh_tokens)))
    state().clients.clear()  # a fresh client must refresh its token, as after a restart
    again = book(salon, kim, "Haircut", at, now=NOW)
    assert (again.ok, again.code) == (True, "exists")
    other = book(salon, kim, "Haircut", madrid("2026-06-02 12:00"), now=NOW)
    assert (other.ok, other.code) == (False, "calendar_unavailable")


def test_a_move_to_its_own_time_is_answered_alike_with_google_away(salon, gcal):
    kim = make_customer(salon)
    at = madrid("2026-06-02 10:00")
    made = book(salon, kim, "Haircut", at, now=NOW)
    reachable = reschedule(salon, kim, made.appointment.id, at, now=NOW)
    assert reachable.message == "It is already at that time."
    gcal.revoke(next(iter(gcal.refresh_tokens)))
    state().clients.clear()
    away = reschedule(salon, kim, made.appointment.id, at, now=NOW)
    assert (away.ok, away.code, away.message) == (True, "rescheduled", reachable.message)
