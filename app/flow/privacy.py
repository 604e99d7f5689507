"""A customer asking to erase their data, answered without any model.

"delete my data" (or "borra mis datos", in any casing) is answered with what erasing does and
two buttons; tapping "Erase my data" (or typing it, or its number, while that question is still
our last message to them) erases, "Keep my data" does nothing. The buttons' ids:

    privacy:erase    erase everything stored about me
    privacy:keep     changed my mind
"""

from __future__ import annotations

import re
from datetime import datetime

from app.flow import lang, state
from app.flow.dates import fold
from app.flow.render import Reply
from app.flow.state import Option
from app.storage import flow_state

ERASE = "privacy:erase"
KEEP = "privacy:keep"
IDS = (ERASE, KEEP)
ASK = "ask"
ASKED = f"privacy_{ASK}"  # how the turn that asked records its call
MAX_TYPED = 40  # longer than any button title or number: not a typed choice

_VERBS_EN = r"(?:delete|erase|remove|wipe|clear|destroy|forget)"
_DATA_EN = r"(?:data|information|info|details|personal data|messages and data|number and data)"
_VERBS_ES = r"(?:borra|borrar|borre|borren|borrad|elimina|eliminar|elimine|eliminen|suprimir?)"
_ASKS = (
    re.compile(rf"\b{_VERBS_EN}\s+(?:all\s+(?:of\s+)?)?my\s+(?:personal\s+)?{_DATA_EN}\b"),
    re.compile(r"\bforget\s+(?:about\s+)?me\b"),
    re.compile(rf"\b{_VERBS_ES}\s+(?:todos\s+)?mis\s+datos\b"),
    re.compile(r"\bolvid(?:a|e|en|ad)(?:te|se|os)?\s+de\s+mi\b|\bolvidame\b"),
)
# "don't delete my data" is not a request to delete it.
_NEGATED = re.compile(r"\b(?:don'?t|do not|never|no)\s+(?:\w+\s+){0,2}$")

TEXTS = {
    "en": {
        "confirm": (
            "Erasing your data removes your messages, your name and your number from"
            " {business}{upcoming}. Past visits stay in the business's records without your"
            " name. This cannot be undone."
        ),
        "upcoming": " and cancels your {count} upcoming appointment{s}",
        "prompt": "Erase everything?",
        "erase": "Erase my data",
        "keep": "Keep my data",
        "erased": (
            "Done: your data has been erased. If you write to us again, we start a new"
            " conversation."
        ),
        "kept": "Nothing was erased. How can I help?",
    },
    "es": {
        "confirm": (
            "Borrar tus datos elimina tus mensajes, tu nombre y tu número de {business}{upcoming}."
            " Las visitas pasadas quedan en los registros del negocio sin tu nombre. No se puede"
            " deshacer."
        ),
        "upcoming": " y cancela tus {count} cita{s} próxima{s}",
        "prompt": "¿Lo borramos todo?",
        "erase": "Borrar mis datos",
        "keep": "Conservar mis datos",
        "erased": (
            "Hecho: tus datos se han borrado. Si nos vuelves a escribir, empezamos una"
            " conversación nueva."
        ),
        "kept": "No se ha borrado nada. ¿En qué te ayudo?",
    },
}


# What typing a button of the question can be: its number or its title, in any language.
PICKS = frozenset(
    {"1", "2"} | {fold(words[key]) for words in TEXTS.values() for key in ("erase", "keep")}
)


def asks_erasure(text: str) -> bool:
    """Whether the text asks to erase the writer's data ("Delete my data", "borra mis datos")."""
    folded = fold(" ".join((text or "").split()))
    for pattern in _ASKS:
        for m in pattern.finditer(folded):
            if not _NEGATED.search(folded[: m.start()]):
                return True
    return False


def request(business: dict, customer: dict, texts: list[str], tap: str, now: datetime) -> str:
    """What this turn asks of the privacy flow: ERASE, KEEP, ASK, or "" (nothing).

    `tap` is the id of the customer's tap ("" if none); `texts` what they typed. Typing an
    offered button's title, or its number, is tapping it.
    """
    if tap in IDS:
        return tap
    if tap:
        return ""
    if len(texts) == 1 and _could_pick(texts[0]):  # "Erase my data" typed is the button
        picked = _typed(state.load(business["id"], customer["id"], now), texts[0])
        # Only while the question is our last message: a "1" after a model's numbered answer
        # picks from that answer, not the buttons still kept in the flow's state.
        if picked and flow_state.last_reply_recorded(business["id"], customer["id"], ASKED):
            return picked
    return ASK if any(asks_erasure(t) for t in texts) else ""


def _could_pick(text: str) -> bool:
    """Whether typed text could be a button of the question (its number or a title), before
    the flow's state is read to see whether the question was asked."""
    return len(text) <= MAX_TYPED and _folded(text) in PICKS


def _folded(text: str) -> str:
    return fold(" ".join(text.split())).strip(" .!")


def _typed(st: state.State, text: str) -> str:
    offered = [o for o in st.offer if o.id in IDS]
    if not offered or len(offered) != len(st.offer):
        return ""
    wanted = _folded(text)
    for n, option in enumerate(offered, 1):
        if wanted in (fold(option.title), str(n)):
            return option.id
    return ""


def language(business: dict, customer: dict, texts: list[str], now: datetime) -> str:
    """The language to answer in: the customer's words, else the conversation's, else the
    business's."""
    for text in reversed(texts):
        found = lang.detect(text)
        if found:
            return found
    if re.search(r"\bmis\s+datos\b", fold(" ".join(texts))):
        return lang.ES
    st = state.load(business["id"], customer["id"], now)
    return st.lang or lang.of_business(business)


def confirm(business: dict, customer: dict, upcoming: int, language: str, now: datetime) -> Reply:
    """The question that asks to confirm, with its two buttons (remembered, so "1" picks)."""
    words = TEXTS.get(language) or TEXTS["en"]
    more = (
        words["upcoming"].format(count=upcoming, s="s" if upcoming != 1 else "") if upcoming else ""
    )
    text = words["confirm"].format(business=business["name"], upcoming=more)
    options = (Option(ERASE, words["erase"]), Option(KEEP, words["keep"]))
    st = state.load(business["id"], customer["id"], now)
    st.lang = language
    st.offer = list(options)
    state.save(business["id"], customer["id"], st, now)
    return Reply(text, options, words["prompt"], language)


def answer(key: str, language: str) -> Reply:
    """The reply after erasing ("erased") or keeping ("kept")."""
    return Reply((TEXTS.get(language) or TEXTS["en"])[key], lang=language)


def forget_offer(business: dict, customer: dict, now: datetime) -> None:
    """Drop the privacy buttons from what "1" or "the first one" would pick next."""
    st = state.load(business["id"], customer["id"], now)
    if any(o.id in IDS for o in st.offer):
        st.offer = []
        state.save(business["id"], customer["id"], st, now)
