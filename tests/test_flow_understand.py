"""The flow's text front end: intents, services, days, times, picks and shifts, in English and
Spanish, with typing slips forgiven and ordinary words left alone (pure functions)."""

from __future__ import annotations

from datetime import date, time

import pytest

from app.flow import lang, several
from app.flow.understand import mentioned, read

BUSINESS = {
    "services": [
        {"id": 1, "name": "Haircut"},
        {"id": 2, "name": "Beard trim"},
        {"id": 3, "name": "Hair coloring"},
    ]
}
TODAY = date(2026, 12, 2)  # a Wednesday


def fields(text: str) -> dict:
    r = read(text, BUSINESS, TODAY)
    found = {
        "intent": r.intent,
        "service": r.service and r.service["name"],
        "day": r.day,
        "time": r.time,
        "after": r.after,
        "before": r.before,
        "number": r.number,
        "shift": r.shift,
        "reference": r.reference,
        "same_day": r.same_day,
    }
    return {k: v for k, v in found.items() if v not in (None, False)}


# The messages a new customer wrote that the old offline model got wrong, and more.
CASES = [
    ("great, 2pm works, put me down for that", {"intent": "book", "time": time(14)}),
    ("14:00 please", {"intent": "unknown", "time": time(14)}),
    ("move it to 14:30 same day", {"intent": "move", "time": time(14, 30), "same_day": True}),
    # After "to", a bare number is a time, unless a date or a count follows it.
    ("move it to 12", {"intent": "move", "time": time(12)}),
    ("what about 11?", {"intent": "unknown", "time": time(11)}),
    (
        "any free time from 10 to 12 tomorrow?",
        {"intent": "slots", "day": date(2026, 12, 3), "after": time(10), "before": time(12)},
    ),
    ("I can't make it at 5, can we move it to 6?", {"intent": "move", "time": time(18)}),
    ("I cant make it anymore", {"intent": "cant_make"}),
    ("sorry, I can't come tomorrow", {"intent": "cant_make", "day": date(2026, 12, 3)}),
    ("I won't be able to make it", {"intent": "cant_make"}),
    ("no puedo venir mañana", {"intent": "cant_make", "day": date(2026, 12, 3)}),
    ("no voy a poder ir", {"intent": "cant_make"}),
    ("llegaré 15 minutos antes", {"intent": "unknown"}),  # arriving early: no shift
    ("I'll arrive 10 minutes later", {"intent": "unknown"}),
    ("wait, can you make it 15:00 instead?", {"intent": "instead", "time": time(15)}),
    ("make it 3pm", {"intent": "instead", "time": time(15)}),
    # A day instead: the flow moves what was just booked, else lists that day (as it would).
    ("do you have anything on friday instead?", {"intent": "instead", "day": date(2026, 12, 4)}),
    ("can my son come instead? he is 12", {"intent": "unknown"}),
    # A time turned down is not the time; another said with it is.
    ("a las 10 no, mejor a las 11", {"intent": "instead", "time": time(11)}),
    ("can we do 12 instead? 10 doesn't work", {"intent": "instead", "time": time(12)}),
    ("a las 10 no me viene bien", {"intent": "unknown"}),
    ("see you at 5 no problem", {"intent": "unknown", "time": time(17)}),
    # Of two days, the new one: after "to", "al", "mejor"; "instead of" names the old one.
    ("could we do thursday instead of tuesday?", {"intent": "instead", "day": date(2026, 12, 3)}),
    ("move it to thursday instead of tuesday", {"intent": "move", "day": date(2026, 12, 3)}),
    ("cambia mi cita del martes al jueves", {"intent": "move", "day": date(2026, 12, 3)}),
    # "el 2" with courtesy words picks; "el 8" with a booking is a day.
    ("el 2 por favor", {"intent": "unknown", "number": 2}),
    ("vale, el 3", {"intent": "confirm", "number": 3}),
    # "la 2" picks the second option, not 14:00; "a la 1" stays a time.
    ("la 2", {"intent": "unknown", "number": 2}),
    ("la 2 por favor", {"intent": "unknown", "number": 2}),
    ("vale, la 3", {"intent": "confirm", "number": 3}),
    ("si, el 1", {"intent": "confirm", "number": 1}),
    ("quiero el 2 por favor", {"intent": "unknown", "number": 2}),
    ("me quedo con el 2", {"intent": "unknown", "number": 2}),
    ("a la 1", {"intent": "unknown", "time": time(13)}),
    (
        "corte el 8 a las 10",
        {"intent": "unknown", "service": "Haircut", "day": date(2026, 12, 8), "time": time(10)},
    ),
    # Spain's "pásame" is "send me"; "pásame la cita" moves it.
    ("pásame los precios", {"intent": "services"}),
    ("pásame la cita al jueves", {"intent": "move", "day": date(2026, 12, 3)}),
    ("qué horarios libres hay el jueves", {"intent": "slots", "day": date(2026, 12, 3)}),
    ("no puedo", {"intent": "decline"}),
    ("mañana no puedo", {"intent": "cant_make", "day": date(2026, 12, 3)}),
    # A bare "to N" is a time only in a move; "N to M" is a range.
    (
        "haircut tomorrow at 5, cut it down to 2 inches",
        {"intent": "unknown", "service": "Haircut", "day": date(2026, 12, 3), "time": time(17)},
    ),
    (
        "I'm coming with 2 to 3 friends, haircut tomorrow at 5",
        {"intent": "unknown", "service": "Haircut", "day": date(2026, 12, 3), "time": time(17)},
    ),
    (
        "haircut tomorrow 2 to 4",
        {
            "intent": "unknown",
            "service": "Haircut",
            "day": date(2026, 12, 3),
            "after": time(14),
            "before": time(16),
        },
    ),
    (
        "my son is about 8, can he get a haircut tomorrow at 4",
        {"intent": "unknown", "service": "Haircut", "day": date(2026, 12, 3), "time": time(16)},
    ),
    ("is it about 15 euros?", {"intent": "unknown"}),
    ("tomorrow at about 5", {"intent": "unknown", "day": date(2026, 12, 3), "time": time(17)}),
    (
        "haircut tomorrow 10 to 4pm",
        {
            "intent": "unknown",
            "service": "Haircut",
            "day": date(2026, 12, 3),
            "after": time(10),
            "before": time(16),
        },
    ),
    ("I'd like to change 10 to 11", {"intent": "move", "time": time(11)}),
    ("not 3pm, 4pm instead", {"intent": "instead", "time": time(16)}),
    ("instead of 10:00, 11:00 please", {"intent": "instead", "time": time(11)}),
    ("can my son come instead? he is 12", {"intent": "unknown"}),
    ("how long will the coloring take", {"intent": "services", "service": "Hair coloring"}),
    ("I can't make it at 3", {"intent": "cant_make", "time": time(15)}),
    ("no puedo ir el martes", {"intent": "cant_make", "day": date(2026, 12, 8)}),
    ("how about 3 people", {"intent": "unknown"}),
    ("can you change it to 3 please", {"intent": "move", "time": time(15)}),
    ("move it to 12 december", {"intent": "move", "day": date(2026, 12, 12)}),
    ("move it to 12/12", {"intent": "move", "day": date(2026, 12, 12)}),
    ("move it to 2 weeks later", {"intent": "move"}),
    ("up to 3 people", {"intent": "unknown"}),
    ("can you move my appointment 30 minutes later", {"intent": "move", "shift": 30}),
    ("push that back half an hour", {"intent": "move", "shift": 30}),
    ("bring it forward an hour", {"intent": "move", "shift": -60}),
    ("what have I got booked", {"intent": "list"}),
    (
        "haircutt tmorrow 5pm",
        {"intent": "unknown", "service": "Haircut", "day": date(2026, 12, 3), "time": time(17)},
    ),
    (
        "book a haircut yesterday at 10am",
        {"intent": "book", "service": "Haircut", "day": date(2026, 12, 1), "time": time(10)},
    ),
    ("20 november", {"intent": "unknown", "day": date(2026, 11, 20)}),
    ("what about saturday, what time do you close?", {"intent": "hours", "day": date(2026, 12, 5)}),
    (
        "¿tenéis hueco mañana por la tarde?",
        {"intent": "slots", "day": date(2026, 12, 3), "after": time(14), "before": time(21)},
    ),
    ("the first one", {"intent": "unknown", "number": 1}),
    ("la segunda", {"intent": "unknown", "number": 2}),
    ("the last one", {"intent": "unknown", "number": -1}),
    ("3", {"intent": "unknown", "number": 3}),
    ("cancel #12", {"intent": "cancel", "reference": 12}),
    ("cancela mi cita", {"intent": "cancel"}),
    ("is cancellation free?", {"intent": "info"}),
    ("can I cancel for free?", {"intent": "info"}),
    ("any later times?", {"intent": "more"}),
    (
        "hair colour on friday",
        {"intent": "unknown", "service": "Hair coloring", "day": date(2026, 12, 4)},
    ),
    (
        "corte de pelo el viernes a las 5 de la tarde",
        {"intent": "unknown", "service": "Haircut", "day": date(2026, 12, 4), "time": time(17)},
    ),
    (
        "una barba el lunes",
        {"intent": "unknown", "service": "Beard trim", "day": date(2026, 12, 7)},
    ),
    (
        "beard trim next thrusday morning",
        {
            "intent": "unknown",
            "service": "Beard trim",
            "day": date(2026, 12, 3),
            "after": time(0),
            "before": time(12),
        },
    ),
    ("talk to a person please", {"intent": "handoff"}),
    ("¿abrís el sábado?", {"intent": "hours", "day": date(2026, 12, 5)}),
    ("are you opened tomorrow", {"intent": "hours", "day": date(2026, 12, 3)}),
    ("¿qué citas tengo?", {"intent": "list"}),
    ("how long is the colouring", {"intent": "services", "service": "Hair coloring"}),
    ("¿cuánto dura el tinte?", {"intent": "services", "service": "Hair coloring"}),
    ("actually never mind", {"intent": "decline"}),
    ("forget it", {"intent": "decline"}),
    ("déjalo así, está bien", {"intent": "unknown"}),
    ("how long will I have to wait", {"intent": "unknown"}),
    ("¿me reservas una cita?", {"intent": "book"}),
    ("sí", {"intent": "confirm"}),
    ("Hola!", {"intent": "greeting"}),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_read(text, expected):
    assert fields(text) == expected


@pytest.mark.parametrize(
    ("zone", "text", "expected"),
    [
        # The clocks skip 02:00-03:00 that night: no 02:30 to book, the day's times from then.
        ("Europe/Madrid", "haircut on 2027-03-28 at 2:30am", {"time": None, "after": time(2, 30)}),
        (
            "America/New_York",
            "haircut on 2027-03-14 at 2:15am",
            {"time": None, "after": time(2, 15)},
        ),
        ("Europe/Madrid", "haircut on 2027-03-28 at 3:30am", {"time": time(3, 30), "after": None}),
        # 02:30 comes twice when they go back: the first, as the listed times read it.
        ("Europe/Madrid", "haircut on 2027-10-31 at 2:30am", {"time": time(2, 30), "after": None}),
        ("UTC", "haircut on 2027-03-28 at 2:30am", {"time": time(2, 30), "after": None}),
    ],
)
def test_a_time_the_clocks_skip_that_day_is_not_booked(zone, text, expected):
    r = read(text, BUSINESS | {"timezone": zone}, TODAY)
    assert r.day is not None
    assert {"time": r.time, "after": r.after} == expected


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("haircut wednesday at 10", date(2026, 12, 9)),  # 10:00 has gone by: next Wednesday
        ("un corte el miércoles a las 10", date(2026, 12, 9)),
        ("haircut on wednesday at 5pm", TODAY),  # still to come today
        ("haircut this wednesday at 10", TODAY),  # today's, said so: refused as past
        ("haircut today at 10", TODAY),
        ("haircut 2 december at 10", TODAY),
        ("haircut wednesday after 10", TODAY),  # a range: today's times after 10 and now
        ("move it to wednesday at 10", date(2026, 12, 9)),  # a move's new day, as a booking's
        ("muévela al miércoles a las 10", date(2026, 12, 9)),
        ("move my friday one to wednesday at 10", date(2026, 12, 9)),
        ("could we do wednesday at 10 instead?", date(2026, 12, 9)),
        ("move it to this wednesday at 10", TODAY),  # today's, said so: refused as past
        ("move it to today at 10", TODAY),
        ("haircut wednesday this week at 10", TODAY),  # this week's, said so: refused as past
        ("un corte el miércoles de esta semana a las 10", TODAY),
    ],
)
def test_today_s_weekday_with_a_time_gone_by_is_next_week_s(text, day):
    assert read(text, BUSINESS, TODAY, time(11, 30)).day == day


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("haircut on the 2nd at 10", date(2027, 1, 2)),  # 10:00 has gone by: next month's
        ("un corte el día 2 a las 10", date(2027, 1, 2)),
        ("un corte el 2 a las 10", date(2027, 1, 2)),
        ("muévela al día 2 a las 10", date(2027, 1, 2)),
        ("haircut on the 2nd at 5pm", TODAY),  # still to come today
        ("haircut 2 december at 10", TODAY),  # the month said: refused as past
        ("haircut 2/12 at 10", TODAY),
        ("haircut on the 2nd after 10", TODAY),  # a range: today's times after 10 and now
    ],
)
def test_today_s_day_of_the_month_with_a_time_gone_by_is_next_month_s(text, day):
    assert read(text, BUSINESS, TODAY, time(11, 30)).day == day


@pytest.mark.parametrize(
    ("slip", "word"),
    [
        ("tmorrow", "tomorrow"),
        ("tommorow", "tomorrow"),
        ("haircutt", "haircut"),
        ("wensday", "wednesday"),
        ("thrusday", "thursday"),
        ("cancell", "cancel"),
        ("apointment", "appointment"),
        ("availble", "available"),
        ("mañna", "manana"),
        ("viernees", "viernes"),
    ],
)
def test_slips_are_read_as_the_word_meant(slip, word):
    assert read(f"x {slip} y", BUSINESS, TODAY).text == f"x {word} y"


@pytest.mark.parametrize(
    "text",
    [
        "i'm looking for a beard trim",  # not "booking"
        "do you have water?",  # not "later"
        "more times please",  # short words are never changed ("more" is not "move")
        "the lines are long",  # not "lunes"
        "can my junior come too",  # not "junio"
        "i'll pick the place",
        "abris el sabado?",  # an intent's word: not "abril"
    ],
)
def test_ordinary_words_are_left_alone(text):
    assert read(text, BUSINESS, TODAY).text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¿tenéis hueco mañana por la tarde?", "es"),
        ("hola, quiero una cita", "es"),
        ("vale", "es"),
        ("cancela mi cita", "es"),
        ("great, 2pm works, put me down for that", "en"),
        ("14:00 please", "en"),
        ("what have I got booked", "en"),
        ("2", None),
        ("ok", None),
        ("14:00", None),
    ],
)
def test_language(text, expected):
    assert lang.detect(text) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", "es"),
        ("es-ES", "es"),
        ("es_ES", "es"),
        ("es_MX", "es"),
        ("Spanish (Spain)", "es"),
        ("Español", "es"),
        ("castellano", "es"),
        ("English", "en"),
        ("en_US", "en"),
        ("", "en"),
        ("Estonian", "en"),
        ("Esperanto", "en"),
    ],
)
def test_the_business_language_by_name_or_code(language, expected):
    assert lang.of_business({"language": language}) == expected


def test_a_service_whose_name_holds_another_s_is_named_once():
    services = [{"id": 1, "name": "Haircut"}, {"id": 2, "name": "Kids haircut"}]
    text = read("kids haircut tomorrow at 5", {"services": services}, TODAY).text
    assert [s["name"] for s in mentioned(services, text)] == ["Kids haircut"]
    said_alone = read("a haircut and a kids haircut", {"services": services}, TODAY).text
    assert [s["name"] for s in mentioned(services, said_alone)] == ["Haircut", "Kids haircut"]
    run_together = read("two kidshaircuts please", {"services": services}, TODAY).text
    assert [s["name"] for s in mentioned(services, run_together)] == ["Kids haircut"]
    both = read("a haircut and a beard trim", BUSINESS, TODAY).text
    assert [s["name"] for s in mentioned(BUSINESS["services"], both)] == ["Haircut", "Beard trim"]


@pytest.mark.parametrize(
    ("text", "first", "rest"),
    [
        (
            "haircut friday at 10 and a beard trim saturday at 11",
            "haircut friday at 10",
            "a beard trim saturday at 11",
        ),
        (
            "un corte el viernes a las 10 y una barba el sábado a las 11",
            "un corte el viernes a las 10",
            "una barba el sábado a las 11",
        ),
        ("haircut friday at 10, beard trim at 11", "haircut friday at 10", "beard trim at 11"),
        (
            "a haircut friday at 10 and another one monday at 9",
            "a haircut friday at 10",
            "another one monday at 9",
        ),
        (
            "hi, haircut friday at 10 and saturday at 11",
            "hi, haircut friday at 10",
            "saturday at 11",
        ),
        # One request: the parts do not each ask for a time on their own.
        (
            "a haircut and a beard trim on friday at 10",
            "a haircut and a beard trim on friday at 10",
            "",
        ),
        ("haircut tomorrow between 3 and 5", "haircut tomorrow between 3 and 5", ""),
        ("un corte mañana a las 5 y media", "un corte mañana a las 5 y media", ""),
        ("entre las 4 y las 6 un corte mañana", "entre las 4 y las 6 un corte mañana", ""),
        ("haircut friday and saturday", "haircut friday and saturday", ""),
        ("not friday, saturday at 11", "not friday, saturday at 11", ""),
        (
            "I can't make it on the 30th, can we do the 31st at 11?",
            "I can't make it on the 30th, can we do the 31st at 11?",
            "",
        ),
        (
            "haircut tomorrow at 5 and how much is it?",
            "haircut tomorrow at 5 and how much is it?",
            "",
        ),
        # A move of the one before, or a second choice for it: one request.
        (
            "I have a haircut on friday at 10 and I'd like to move it to saturday at 11",
            "I have a haircut on friday at 10 and I'd like to move it to saturday at 11",
            "",
        ),
        (
            "tengo cita el viernes a las 10 y quiero cambiarla al sábado a las 11",
            "tengo cita el viernes a las 10 y quiero cambiarla al sábado a las 11",
            "",
        ),
        (
            "haircut friday at 10 and if that's taken saturday at 11",
            "haircut friday at 10 and if that's taken saturday at 11",
            "",
        ),
        (
            "un corte el viernes a las 10 y si no puede ser el sábado a las 11",
            "un corte el viernes a las 10 y si no puede ser el sábado a las 11",
            "",
        ),
        (
            "haircut friday at 10 and saturday at 11 would also work",
            "haircut friday at 10 and saturday at 11 would also work",
            "",
        ),
        (
            "un corte el viernes a las 10 y el sábado a las 11 también me va bien",
            "un corte el viernes a las 10 y el sábado a las 11 también me va bien",
            "",
        ),
        (
            "haircut friday at 10 and a beard trim saturday at 11, if that works",
            "haircut friday at 10",
            "a beard trim saturday at 11, if that works",
        ),
        (
            "haircut friday at 10 and move my beard trim to saturday at 11",
            "haircut friday at 10",
            "move my beard trim to saturday at 11",
        ),
        # A part with no verb of its own after a cancel or a move shares it: given back with it.
        ("cancel friday at 10 and saturday at 11", "cancel friday at 10", "cancel saturday at 11"),
        (
            "cancel my haircut friday at 10 and the beard trim saturday at 11",
            "cancel my haircut friday at 10",
            "cancel the beard trim saturday at 11",
        ),
        (
            "cancela el viernes a las 10 y el sábado a las 11",
            "cancela el viernes a las 10",
            "cancela el sábado a las 11",
        ),
        (
            "move friday's to 10 and saturday's to 11",
            "move friday's to 10",
            "move saturday's to 11",
        ),
        (
            "I can't make it friday at 10 and saturday at 11",
            "I can't make it friday at 10",
            "I can't make it saturday at 11",
        ),
        (
            "cancel friday at 10 and book a haircut saturday at 11",
            "cancel friday at 10",
            "book a haircut saturday at 11",
        ),
    ],
)
def test_a_second_request_in_one_message_is_told_apart(text, first, rest):
    assert several.split(text, BUSINESS, TODAY) == (first, rest)


@pytest.mark.parametrize(
    "text, several_people",
    [
        ("a haircut for me and my son on saturday at 10", True),
        ("my wife and I would like haircuts tomorrow", True),
        ("me and my daughter need a haircut friday", True),
        ("haircut for both of us at 5", True),
        ("can you fit us both? haircuts for two", True),
        ("beard trims for 2 people tomorrow at 10", True),
        ("haircuts for the kids on monday", True),
        ("un corte para mí y mi hija el viernes", True),
        ("mi hijo y yo queremos un corte mañana", True),
        ("cortes para los dos el sábado", True),
        ("para 3 personas el lunes", True),
        ("una cita para mis hijos", True),
        ("a haircut for my son on saturday at 10", False),
        ("haircut for me tomorrow", False),
        ("haircut at 2 for 30 minutes", False),
        ("haircut tomorrow between 2 and 3", False),
        ("book me for 2 pm", False),
        ("un corte para mi hijo el viernes", False),
        ("un corte para mí el lunes a las 10", False),
        # Times, services and things are not people.
        ("un corte el viernes para las dos", False),
        ("¿tienes hueco mañana para las tres?", False),
        ("una cita para los dos servicios", False),
        ("a haircut and a beard trim, how much for both?", False),
        ("I'd like to move my haircut and I can come friday at 10", False),
        ("I need to cancel my booking and I will book again later", False),
        ("quiero cambiar mi cita y yo no puedo el viernes", False),
        ("cortes para los tres el sábado", True),
        ("can you fit us both in on friday?", True),
        ("my husband and I want haircuts", True),
    ],
)
def test_a_request_for_several_people_is_told_apart(text, several_people):
    assert several.for_several(text) is several_people


def test_a_long_message_of_commas_is_read_a_bounded_number_of_times(monkeypatch):
    """Each place a second request may begin reads the text before it: a message of 4,000
    characters of "a," read at every comma took half a minute of a worker's time."""
    calls = []

    def counted(text, *args, **kwargs):
        calls.append(len(text))
        return read(text, *args, **kwargs)

    monkeypatch.setattr(several, "read", counted)
    text = "haircut friday at 10 and " * 160
    assert several.split("a," * 2000, BUSINESS, TODAY) == ("a," * 2000, "")
    several.split(text, BUSINESS, TODAY)
    assert len(calls) <= 4 * several.MAX_PLACES


FRIDAY, SUNDAY, TUESDAY = date(2026, 12, 4), date(2026, 12, 6), date(2026, 12, 8)


@pytest.mark.parametrize(
    ("text", "of_day", "weekday", "day", "clock"),
    [
        ("move Friday's to 12", FRIDAY, True, None, time(12)),
        ("move my Friday appointment to 12", FRIDAY, True, None, time(12)),
        ("can you move the Friday one to 12?", FRIDAY, True, None, time(12)),
        ("move my appointment on Friday to Sunday at 12", FRIDAY, True, SUNDAY, time(12)),
        ("move next Friday's to 12", FRIDAY, False, None, time(12)),
        ("move tomorrow's to Sunday at 12", date(2026, 12, 3), False, SUNDAY, time(12)),
        ("mueve la del viernes a las 12", FRIDAY, True, None, time(12)),
        ("cambia la cita del viernes a las 12", FRIDAY, True, None, time(12)),
        ("cambia mi cita del martes al domingo a las 12", TUESDAY, True, SUNDAY, time(12)),
        ("cambia la de mañana al domingo", date(2026, 12, 3), False, SUNDAY, None),
        # Where it goes, not which one: no day named as which.
        ("move it to Friday at 12", None, False, FRIDAY, time(12)),
        ("can we do Friday at 12 instead?", None, False, FRIDAY, time(12)),
        ("move my haircut to the Friday one at 12", None, False, FRIDAY, time(12)),
        ("move it to Friday's slot at 12", None, False, FRIDAY, time(12)),
        ("cámbiala al viernes a las 12", None, False, FRIDAY, time(12)),
    ],
)
def test_a_move_s_day_said_as_which_appointment_is_not_its_new_day(
    text, of_day, weekday, day, clock
):
    r = read(text, BUSINESS, TODAY)
    assert (r.of_day, r.of_weekday, r.day, r.time) == (of_day, weekday, day, clock)


@pytest.mark.parametrize("text", ["cancel Friday's", "cancela la del viernes", "book Friday's"])
def test_a_day_said_as_which_appointment_outside_a_move_is_the_day(text):
    r = read(text, BUSINESS, TODAY)
    assert (r.of_day, r.day) == (None, FRIDAY)
