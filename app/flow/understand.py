"""The flow's text front end: what a customer's message asks for, in English or Spanish.

Typing slips are forgiven before anything is read: a word of five letters or more that is not
one we know but is one or two edits from one (rapidfuzz's optimal string alignment distance:
"tmorrow", "haircutt", "wensday", "cancell") is read as that word. Shorter words are never
changed ("more" stays "more", not "move"). Then the intent, the service, the day, the time or
time range, a number or ordinal ("2", "the first one"), a shift ("30 minutes later") and an
appointment number ("#12") are read from the corrected text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from rapidfuzz import process
from rapidfuzz.distance import OSA

from app.booking.hours import wall_exists
from app.flow import dates, lang
from app.flow.dates import fold

# "make it 15:00" is a move; "I can't make it at 3" is not.
_MAKE_IT = (
    "".join(
        rf"(?<!{no} )" for no in ("can't", "cant", "can\u2019t", "cannot", "won't", "wont", "not")
    )
    + r"(?<![\w'\u2019])make it "
)
# Checked in order; the first that matches is the intent.
INTENTS = (
    (
        "handoff",
        r"\b(human|real person|a person|someone real|talk to (someone|somebody|a person)"
        r"|speak (to|with) (someone|somebody|a person)|(an? |live |human )?agent|operator"
        r"|hablar con (alguien|una persona|un humano)|persona real|agente|humano)\b",
    ),
    (
        "cancel",
        r"\b(cancel|call off|cancelar|cancela|cancelame|cancelarla|cancelamela|anular|anula"
        r"|anulala|anulamela|anularla|borrala|borrarla)\b",
    ),
    (
        "move",
        r"\b(reschedule|move|moving|change|postpone|push|bring\b.{0,20}\bforward|another time"
        r"|cambiar|cambia|cambiame|cambiarla|cambiarlo|cambialo|mover|mueve|muevela|moverla"
        r"|moverlo|muevelo|pasarla|pasarlo|pasamela|pasala|pasalo"
        r"|pas(?:ar|ame|as|a)\s+(?:la|mi)\s+(?:cita|reserva)|retrasar|retrasa"
        r"|retrasala|adelantar|adelanta|adelantala|aplazar)\b",
    ),
    # A time in place of the one just held, listed or booked: "make it 15:00", "14:30 instead".
    (
        "instead",
        r"\b(?:instead|mejor)\b(?=.*\d)|\d.*\b(?:instead|mejor)\b|"
        + _MAKE_IT
        + r"(?:at |for )?(?=\d)",
    ),
    # Neither a move nor a cancel yet: the flow asks which (after both, which win when said).
    (
        "cant_make",
        r"\b(can[\u2019']?t make it|cannot make it|can not make it|won[\u2019']?t make it"
        r"|couldn[\u2019']?t make it|(?:can[\u2019']?t|cannot|can not|couldn[\u2019']?t"
        r"|won[\u2019']?t be able to) (?:come|make it|be there)"
        r"|no (?:puedo|podre|voy a poder) (?:ir|venir|acudir))\b"
        r"|\b(?:manana|hoy|pasado manana|el \w+|ese dia)\s+no (?:puedo|podre|voy a poder)"
        r"(?:\W*$|\s*[,;.]|\s+(?:pero|mejor)\b)",
    ),
    (
        "list",
        r"\b(my (appointments?|bookings?|reservations?)|what (have|did) i (got )?booked?"
        r"|what have i got|what do i have|do i have|have i got|mis citas|mi cita|mis reservas"
        r"|que tengo|tengo (alguna )?cita|citas tengo)\b",
    ),
    (
        "more",
        r"\b(more (times|slots|options|free times)|later times|other times|anything later"
        r"|otras horas|mas horas|mas huecos)\b",
    ),
    (
        "hours",
        r"\b(hours|open|opened|opening|close|closing|horario"
        r"|horarios(?!\s+(?:libres?|disponibles?|hay|tienes|teneis))|abris|abren|abres|abre|abiertos?"
        r"|abierta|cierran|cierra|cerrais|cierras|cerrado)\b",
    ),
    (
        "info",
        r"\b(polic(y|ies)|cancellations?|parking|park|address|located|location|directions"
        r"|aparcamiento|aparcar|direccion|politica)\b",
    ),
    (
        "book",
        r"\b(book|reserve|make an? appointment|appointment for|schedule (me|an?)|put me down"
        r"|sign me up|i'?ll take|works|reservar|reserva|reservas|reservame|apuntame|pedir cita"
        r"|quiero (una )?cita|(?<!no )me va bien|(?<!no )me viene bien)\b",
    ),
    (
        "slots",
        r"\b(available|availability|free|slots?|openings?|when can|what times?|any time"
        r"|hueco|huecos|disponible|disponibles|disponibilidad|libre|libres|que horas)\b",
    ),
    (
        "services",
        r"\b(services?|prices?|cost|how much|how long (?:is|are|does|do|would|for)\b"
        r"|how long will\b(?=.*\btake)|menu"
        r"|offer|treatments?|servicios|precios?|cuanto|cuesta|cuestan|cuanto dura|duracion"
        r"|tarifas?)\b",
    ),
    ("greeting", r"^\W*(hi|hello|hey|hola|good (morning|afternoon|evening)|buenas|buenos dias)\b"),
    (
        "confirm",
        r"^\W*(yes|yeah|yep|yup|sure|ok|okay|confirm|please do|go ahead|great|perfect"
        r"|sounds good|do it|si|vale|confirmo|confirmar|perfecto|de acuerdo|claro)\b",
    ),
    # After "confirm": "ok thanks" and "perfect, thanks!" to "Shall I book it?" say yes; before
    # "thanks": "no thanks" says no.
    ("decline", r"^\W*(no|nope|nah)\b|\b(never ?mind|forget it|no importa|olvidalo)\b"),
    ("thanks", r"\b(thanks?|thank you|gracias|cheers)\b"),
)
_CANT_MAKE = re.compile(dict(INTENTS)["cant_make"])
_YES_EMOJI = frozenset("\U0001f44d\U0001f44c\u2705\u2611\u2714\U0001f197\U0001f4af\U0001f64f")
_NO_EMOJI = frozenset("\U0001f44e\u274c\U0001f6ab\u2716")
_HELLO_EMOJI = frozenset("\U0001f44b\U0001f64b")  # 👋 🙋
# A cancel that asks about the rules ("can I cancel for free?") is a question, not a request.
_POLICY_WORDS = re.compile(
    r"\b(free|fee|charge|cost|policy|penalty|how late|gratis|coste|cargo|politica|penalizacion)\b"
)
_NUMBER = re.compile(
    r"^\W*(?:#|no\.?|number|option|numero|opcion|la|el)?\s*(\d{1,2})\s*"
    r"(?:please|por favor|thanks|gracias)?\W*$"
)
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "primera": 1,
    "primero": 1,
    "second": 2,
    "2nd": 2,
    "segunda": 2,
    "segundo": 2,
    "third": 3,
    "3rd": 3,
    "tercera": 3,
    "tercero": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "quinta": 5,
    "quinto": 5,
    "last": -1,
    "ultima": -1,
    "ultimo": -1,
}
_ORDINAL = re.compile(
    r"\b(?:the|la|el)\s+("
    + "|".join(_ORDINALS)
    + r")\b|\b("
    + "|".join(_ORDINALS)
    + r")\s+(?:one|una|uno)\b"
)
# "#12", "booking 12" (not "appointment 30 minutes later" nor "booking at 5").
_REFERENCE = re.compile(
    r"(?:#|\b(?:appointment|booking|number|no\.?|id|cita|reserva|numero)\s*#?\s*)(\d{1,9})\b"
    r"(?!\s*(?:min|minutes?|minutos?|h\b|hrs?|hours?|horas?|am|pm|:|\.\d))"
)
# Words that point at the appointment just talked about ("move it", "cancélala").
_PRONOUN = re.compile(
    r"\b(it|that|this one|that one|esa|ese)\b"
    r"|\b(muevela|cambiala|cancelala|anulala|retrasala|adelantala|moverla|cambiarla|cancelarla)\b"
)
# A time said only to turn it down: "a las 10 no", "las 10 no me va bien", "10 doesn't work".
# It is taken out of the text the time is read from; another time said with it stays.
_REFUSED = re.compile(
    r"\b(?:(?:a\s+)?las?\s+|at\s+)?\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm)?\s+"
    r"(?:no\b(?!\s+(?:problem|worries|prob))(?:\s+me\s+(?:va|viene)\s+bien)?"
    r"|(?:does ?n[o']?t|won[\u2019']?t)\s+work(?:\s+for\s+me)?"
    r"|(?:is\s+)?not\s+good(?:\s+for\s+me)?)"
)
_INSTEAD = re.compile(r"\b(instead|rather|en vez|en lugar|mejor)\b")
# A day said as which appointment a move means, not where it goes: "Friday's", "the Friday
# one", "my Friday appointment", "my appointment on Friday", "la del viernes", "la cita del
# viernes", "la de mañana" ("to the Friday one" is where it goes).
_EN_DAY = r"(?:(?:next|this)\s+)?(?:" + "|".join(dates.WEEKDAYS) + r"|today|tomorrow)"
_ES_DAY = r"(?:(?:proximo|este)\s+)?(?:" + "|".join(dates.WEEKDAYS_ES) + r")(?:\s+que\s+viene)?"
_BOOKING_WORD = (
    r"(?:ones?|appointments?|bookings?|reservations?|slot|session|visit|haircut|cut|trim"
    r"|beard trim|colou?ring|colou?r)"
)
_OF_DAY = re.compile(
    rf"(?<!\bto )(?<!\bto the )\b(?P<en>{_EN_DAY})['\u2019]s\b"
    rf"|(?<!\bto )\b(?:my|the)\s+(?P<en2>{_EN_DAY})\s+{_BOOKING_WORD}\b"
    rf"|\b{_BOOKING_WORD}\s+on\s+(?P<en3>{_EN_DAY})\b"
    rf"|\b(?:la|el|las|los|cita|citas|reserva|turno|corte|barba)\s+"
    rf"(?:del\s+(?P<es>{_ES_DAY})\b|de\s+(?P<es2>hoy|manana)\b)"
)
# "I'll arrive 15 minutes early/before": not a move.
_ARRIVING = re.compile(r"\b(arriv\w*|get there|be there|llegar\w*|llego|llegue|estare alli)\b")
_LATER = re.compile(r"\b(later|push\w*\b.{0,25}\bback|back|delay|mas tarde|despues|retras\w*)\b")
_EARLIER = re.compile(r"\b(earlier|forward|sooner|antes|mas temprano|adelant\w*)\b")
_DURATIONS = (
    (re.compile(r"\b(an hour and a half|one and a half hours?|hora y media)\b"), 90),
    (re.compile(r"\b(half an hour|half hour|media hora)\b"), 30),
    (re.compile(r"\b(quarter of an hour|quarter hour|cuarto de hora)\b"), 15),
    (re.compile(r"\b(an hour|one hour|una hora)\b"), 60),
)
_MINUTES = re.compile(r"\b(\d{1,3})\s*(?:min|mins|minutes?|minutos?)\b")
_HOURS = re.compile(r"\b(\d{1,2})\s*(?:h|hr|hrs|hours?|horas?)\b")
_RANGE_WORDS = re.compile(
    r"\b(after|before|from|until|later than|earlier than|despues de|antes de|desde|hasta"
    r"|a partir de)(?:l|\s+las?)?\s+\d"
)
_SAME_DAY = re.compile(r"\b(same day|that day|el mismo dia|ese dia|mismo dia)\b")
_SAME_TIME = re.compile(r"\b(same time|a la misma hora|misma hora)\b")
_QUESTION = re.compile(
    r"^\W*(do|does|did|is|are|was|were|can|could|will|would|should|have|has|what|what's|whats"
    r"|where|when|which|who|why|how|may|any)\b"
)

# Words fixed when misspelt (folded). Business service names and their synonyms join them.
VOCABULARY = frozenset(
    """today tomorrow tonight yesterday monday tuesday wednesday thursday friday saturday sunday
    january february march april june july august september october november december morning
    afternoon evening appointment appointments booking bookings reschedule cancel available
    availability services prices opening closing reserve minutes
    manana pasado lunes martes miercoles jueves viernes sabado domingo enero febrero marzo abril
    junio julio agosto septiembre octubre noviembre diciembre tarde noche cancelar reservar
    cambiar disponible horario servicios precios gracias hueco huecos minutos""".split()
)
# The words the intents are read from: never "corrected" into another ("abrís" is not "abril").
INTENT_WORDS = frozenset(
    word
    for _, pattern in INTENTS
    for word in re.findall(r"[a-z]{5,}", re.sub(r"\\[a-z]", " ", pattern))  # not "\bforward"
)
# Common words a slip must never be "corrected" into a vocabulary word.
KNOWN = frozenset(
    """there where these those which would could should about after before other their think
    thanks thank great works later times still maybe again first second third right hello
    sorry hours house month months today's other please cancelled canceled booked moved
    mornings evenings nights weekend weekends cheers month later latest closes opens morning
    tardes noches hasta desde antes luego tengo tienes tiene cuando puedes quiero quisiera
    ahora bueno buenas buenos claro lines junior match trade place""".split()
)
# Spanish and other everyday names of the salon words in service names.
SYNONYMS = {
    "haircut": ("cut", "corte", "cortar", "cortarme", "pelado"),
    "coloring": ("colouring", "colour", "color", "dye", "tinte", "tintar", "coloracion"),
    "beard": ("barba",),
    "trim": ("arreglo", "recorte", "perfilado"),
}


@dataclass(frozen=True)
class Request:
    """What one message asks for; every field is None (or False) when the text does not say."""

    text: str  # folded and corrected, as read
    intent: str  # see INTENTS, or "unknown"
    lang: str | None
    service: dict | None = None
    day: date | None = None
    week: bool = False  # `day` stands for its week to Sunday ("this week": today; "next week":
    # its Monday): the first free day from it
    time: time | None = None  # one time to book or move to ("at 14:00", "2pm")
    after: time | None = None  # a range of times ("after 5", "in the morning")
    before: time | None = None
    number: int | None = None  # a pick from what was offered: 1, 2, ... or -1 for the last
    shift: int | None = None  # minutes later (negative: earlier)
    reference: int | None = None  # an appointment's number ("#12")
    same_day: bool = False
    same_time: bool = False
    question: bool = False
    pronoun: bool = False  # "it", "that": the appointment just talked about
    of_day: date | None = None  # a move's day that says which appointment ("Friday's", "la
    # del viernes"), not where it goes (`day`)
    of_weekday: bool = False  # `of_day` was a weekday alone ("my Tuesday appointment"): an
    # appointment on any Tuesday to come


def read(text: str, business: dict, today: date, now: time | None = None) -> Request:
    """Read a customer's message against the business's services, today's date and the time of
    day (`now`, the business's local time)."""
    services = business.get("services") or []
    folded = correct(fold(text), vocabulary(services))
    intent = classify(folded)
    # The times said (in words too: "a las cinco"), without one turned down.
    timed = _REFUSED.sub(" ", dates.spoken(folded))
    after, before = dates.time_window(timed)
    moving = intent in ("move", "instead")
    clock = dates.parse_time(timed, moving=moving)
    pick = dates.picked(folded)
    if pick is not None:
        clock = after = before = None  # "la 2" is the second option, not 14:00
    to_day = moving or bool(_INSTEAD.search(folded))  # the day after "to" is the one meant
    # "move Friday's to 12": Friday says which appointment; the new day is read without it.
    of_day, of_weekday, dayless = _of_day(folded, today) if to_day else (None, False, folded)
    day = dates.parse_date(dayless, today, moving=to_day)
    if day is not None and intent in ("cant_make", "instead") and _CANT_MAKE.search(folded):
        new_day = dates.last_date(folded, today)
        if new_day is not None and new_day != day:
            # "I can't make it on the 30th, can we do the 31st at 11?": a move to the 31st
            intent, day, moving = "move", new_day, True
            clock = None if pick is not None else dates.parse_time(timed, moving=True)
    if intent in ("unknown", "slots") and day is not None:
        if _INSTEAD.search(folded) or _SAME_TIME.search(folded):
            # "could we do Thursday instead?", "can we do the 21st, same time?": the
            # appointment's new day
            intent = "instead"
    if intent == "instead" and clock is None and day is None:
        intent = "unknown"  # "can my son come instead? he is 12": no time, no move
    if dates.weekday_disagrees(folded, today):
        clock = None  # "Friday 26 December" on a Saturday: list that day's times, book nothing
    week = day is not None and dates.is_week(dayless, today, moving=to_day)
    if week:
        clock = None  # "next week at 10": no day to book it on; the week's times from 10
    if day is not None and clock is not None and not _exists(business, day, clock):
        clock = None  # 02:30 the night the clocks go forward: that day's times from then on
    ranged = (
        bool(_RANGE_WORDS.search(timed))  # "before noon": not at noon
        or (dates.is_span(timed) and not moving)  # "change 10 to 11": from one to the other
        or (clock is None and (after or before))
    )
    gone = clock is not None and now is not None and clock <= now and not ranged
    if day == today and gone and dates.weekday_is_today(dayless, today, moving=to_day):
        # "Monday at 10" said on a Monday afternoon, to book or to move to: next Monday
        day += timedelta(days=7)
    elif day == today and gone and dates.day_of_month_is_today(dayless, today, moving=to_day):
        day = dates.next_month_s(today) or day  # "the 7th at 10" on the 7th at 11:30
    return Request(
        text=folded,
        intent=intent,
        lang=lang.detect(text),
        service=match_service(services, folded),
        day=day,
        week=week,
        time=None if ranged else clock,
        after=after if ranged else None,
        before=before if ranged else None,
        number=pick if pick is not None else _number(folded),
        shift=_shift(folded),
        reference=_reference(folded),
        same_day=bool(_SAME_DAY.search(folded)),
        same_time=bool(_SAME_TIME.search(folded)),
        question="?" in text or bool(_QUESTION.match(folded)),
        pronoun=bool(_PRONOUN.search(folded)),
        of_day=of_day,
        of_weekday=of_weekday,
    )


def _of_day(folded: str, today: date) -> tuple[date | None, bool, str]:
    """The day a move names as which appointment ("move Friday's to 12", "cambia la del viernes
    a las 12"), whether it is a weekday alone ("my Tuesday appointment", not "next Tuesday's"),
    and the text without it, for the new day; else None, False and the text."""
    m = _OF_DAY.search(folded)
    if m is None:
        return None, False, folded
    said = next(g for g in m.groupdict().values() if g)
    day = dates.parse_date(said, today)
    if day is None:
        return None, False, folded
    weekday = said in dates.WEEKDAYS or said in dates.WEEKDAYS_ES
    return day, weekday, folded[: m.start()] + " " + folded[m.end() :]


def _exists(business: dict, day: date, clock: time) -> bool:
    """Whether the business's clock reads `clock` on `day` (not skipped by a DST change)."""
    tz = ZoneInfo(business.get("timezone") or "UTC")
    return wall_exists(tz, day, clock.hour * 60 + clock.minute)


def classify(folded: str) -> str:
    """The message's main intent (the first rule that matches), or "unknown". A message of
    emoji alone says yes (👍, 👌, ✅...), no (👎, ❌), hello (👋) or thanks (any other)."""
    if folded.strip() and not any(c.isalnum() for c in folded):
        if any(c in _YES_EMOJI for c in folded):
            return "confirm"
        if any(c in _NO_EMOJI for c in folded):
            return "decline"
        if any(c in _HELLO_EMOJI for c in folded):
            return "greeting"
        if any(unicodedata.category(c) == "So" for c in folded):
            return "thanks"
    for name, pattern in INTENTS:
        if re.search(pattern, folded):
            if name == "cancel" and _POLICY_WORDS.search(folded):
                return "info"
            return name
    return "unknown"


def vocabulary(services: list[dict]) -> frozenset[str]:
    """Every word a slip may be corrected into, for a business with these services."""
    words = set(VOCABULARY)
    for service in services:
        for word in _words(service["name"]):
            words.add(word)
            words.update(SYNONYMS.get(word, ()))
    return frozenset(w for w in words if len(w) >= 4)


def correct(folded: str, vocab: frozenset[str]) -> str:
    """The text with each misspelt long word replaced by the one word it is closest to."""

    def fix(m: re.Match) -> str:
        word = m[0]
        if word in vocab or word in KNOWN or word in INTENT_WORDS or _singular(word) in vocab:
            return word
        limit = 1 if len(word) <= 6 else 2
        # Slips keep the first letter ("tmorrow"); other words do not ("looking", "water").
        near = [w for w in vocab if w[0] == word[0]]
        found = process.extract(word, near, scorer=OSA.distance, score_cutoff=limit, limit=2)
        if not found or (len(found) == 2 and found[0][1] == found[1][1]):
            return word  # nothing close, or two words equally close: leave it
        return found[0][0]

    return re.sub(r"[a-z]{5,}", fix, folded)


def match_service(services: list[dict], folded: str) -> dict | None:
    """The service the text names: its whole name, else the one its words point to most."""
    for service in sorted(services, key=lambda s: len(s["name"]), reverse=True):
        if _names(service, folded):
            return service
    scores = _scores(services, folded)
    if not scores:
        return None
    best = max(scores.values())
    winners = [i for i, score in scores.items() if score == best]
    return services[winners[0]] if len(winners) == 1 else None


def mentioned(services: list[dict], folded: str) -> list[dict]:
    """Every service the text names in full ("a haircut and a beard trim": two), a name inside
    another's counting only where the text says it alone ("kids haircut" is one; "a haircut
    and a kids haircut", two). In the services' order."""
    found, rest = set(), folded
    longest_first = sorted(services, key=lambda s: len(" ".join(_words(s["name"]))), reverse=True)
    for service in longest_first:
        if _names(service, rest):
            found.add(service["id"])
            rest = _without(service, rest)
    return [service for service in services if service["id"] in found]


def _without(service: dict, folded: str) -> str:
    """The text with each place it names the service blanked out (as `_names` finds them)."""
    pattern = r"\s*".join(re.escape(word) for word in _words(service["name"]))
    return re.sub(rf"{pattern}s?", " ", folded) if pattern else folded


def _names(service: dict, folded: str) -> bool:
    """Whether the text names the service in full ("hair coloring", "haircuts", "hair cut")."""
    name = " ".join(_words(service["name"]))
    return bool(name) and bool(
        re.search(rf"\b{re.escape(name)}s?\b", folded)
        or name.replace(" ", "") in folded.replace(" ", "")
    )


def _scores(services: list[dict], folded: str) -> dict[int, int]:
    """For each service (by index) a word of the text points to, how many of its words do."""
    said = {_singular(w) for w in re.findall(r"[a-z]+", folded)} | set(
        re.findall(r"[a-z]+", folded)
    )
    scores: dict[int, int] = {}
    for index, service in enumerate(services):
        for word in _words(service["name"]):
            if {word, *SYNONYMS.get(word, ())} & said:
                scores[index] = scores.get(index, 0) + 1
    return scores


def _words(name: str) -> list[str]:
    return [_singular(w) for w in re.findall(r"[a-z0-9]+", fold(name)) if len(w) >= 3]


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


def _number(folded: str) -> int | None:
    if m := _NUMBER.match(folded):
        return int(m[1])
    if m := _ORDINAL.search(folded):
        return _ORDINALS[m[1] or m[2]]
    return None


def _shift(folded: str) -> int | None:
    """Minutes to move by ("30 minutes later" → 30, "an hour earlier" → -60), else None."""
    later, earlier = _LATER.search(folded), _EARLIER.search(folded)
    if not (later or earlier) or (later and earlier) or _ARRIVING.search(folded):
        return None
    minutes = next((n for pattern, n in _DURATIONS if pattern.search(folded)), None)
    if minutes is None and (m := _MINUTES.search(folded)):
        minutes = int(m[1])
    if minutes is None and (m := _HOURS.search(folded)):
        minutes = 60 * int(m[1])
    if not minutes:
        return None
    return minutes if later else -minutes


def _reference(folded: str) -> int | None:
    m = _REFERENCE.search(folded)
    return int(m[1]) if m else None
