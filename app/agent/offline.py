"""The embedded offline demo model: a LangChain chat model that reads intents and calls tools.

It runs when no OPENAI_API_KEY is configured (demos, mock mode, tests). It reads the same system
prompt and history a real model gets, emits real tool calls through the same loop, and writes its
replies only from tool results, so it can never claim what a tool did not do.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

from app.agent import dates, handoff, offline_lookup
from app.agent.offline_replies import compose_reply
from app.agent.prompts import DOCUMENT_END, DOCUMENT_START

DEMO_NOTICE = (
    "I'm the offline demo model, so I only understand simple requests: our services and prices, "
    "opening hours, free times, and booking, moving or cancelling an appointment "
    '(e.g. "book a haircut tomorrow at 17:00").'
)
INTENTS = [
    ("info", r"\bpolic(y|ies)\b"),
    ("cancel", r"\b(cancel|cancell?ation|anular|cancelar)\b"),
    ("reschedule", r"\b(reschedule|move|change|postpone|another time|cambiar|mover)\b"),
    ("list", r"\b(my (appointments?|bookings?|reservations?)|what (have|did) i book|do i have)\b"),
    ("book", r"\b(book|reserve|make an? appointment|appointment for|schedule|reservar|cita)\b"),
    ("slots", r"\b(available|availability|free|slots?|when can|what times?|disponib)"),
    ("info", r"\b(parking|park|address|located|location|directions|aparcamiento|direcci[oó]n)\b"),
    ("services", r"\b(services?|prices?|cost|how much|menu|offer|treatments?|precios?)\b"),
    ("hours", r"\b(hours|open|opening|close|closing|horario)\b"),
    ("greeting", r"^\s*(hi|hello|hey|hola|good (morning|afternoon|evening)|buenas?)\b"),
    ("thanks", r"\b(thanks?|thank you|gracias|cheers)\b"),
]
# Words that ask for a range of times ("after 16:00"), never for one time to book.
WINDOW = r"\b(after|before|from|until|later than|earlier than|morning|afternoon|evening)\b"
# The start of our own free-times reply (as sent, so bold may be WhatsApp's single asterisks).
# A line of its own: a reply in degraded mode starts with a note.
LISTED = re.compile(
    r"^(?:Free times for \*{1,2}(.+?)\*{1,2}|Sorry, there are no free times for (.+?)) on ",
    re.M,
)


class OfflineChatModel(BaseChatModel):
    """A rule-based chat model with real tool calling, for running without an API key."""

    @property
    def _llm_type(self) -> str:
        return "offline-demo"

    def bind_tools(self, tools, **kwargs):
        """Bind tools the way chat models do: as OpenAI tool schemas."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs):
        available = {t["function"]["name"] for t in kwargs.get("tools") or []}
        message = decide(messages, available)
        return ChatResult(generations=[ChatGeneration(message=message)])


def decide(messages: list[BaseMessage], tools: set[str]) -> AIMessage:
    """The next message: a tool call or a reply, from the prompt, the request and tool results."""
    system = next((m.content for m in messages if isinstance(m, SystemMessage)), "")
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    text = messages[last_human].content if last_human >= 0 else ""
    text = text if isinstance(text, str) else str(text)
    results = [
        (m.name or "", _loads(m.content))
        for m in messages[last_human + 1 :]
        if isinstance(m, ToolMessage)
    ]
    ctx = PromptFacts(system)
    intent = classify(text)
    if results:
        follow_up = next_call_after(intent, text, results, ctx, tools)
        if follow_up:
            return follow_up
        return AIMessage(compose_reply(intent, results, ctx.customer_name))
    return first_step(intent, text, ctx, tools, listed_service(messages[:last_human], ctx))


def listed_service(history: list[BaseMessage], ctx: PromptFacts) -> str | None:
    """The service of the free times our last reply listed, if that is what it did."""
    last = next((m for m in reversed(history) if isinstance(m, AIMessage)), None)
    m = LISTED.search(last.content) if last and isinstance(last.content, str) else None
    name = m and (m[1] or m[2])
    return name if name in ctx.services else None


def classify(text: str) -> str:
    """The customer's main intent (first matching rule), or "unknown"."""
    lowered = text.lower()
    for name, pattern in INTENTS:
        if re.search(pattern, lowered):
            return name
    return "unknown"


class PromptFacts:
    """What the offline model reads from the system prompt: services, today, names."""

    def __init__(self, system: str):
        m = re.search(r"assistant of (.+?)\.\n", system)
        self.business_name = m[1] if m else "us"
        m = re.search(r"Customer's name: (.+?)\.\n", system)
        self.customer_name = "" if not m or m[1] == "unknown" else m[1]
        m = re.search(r"Current date and time: \w+ (\d{1,2}) (\w+) (\d{4})", system)
        self.today = (
            datetime.strptime(f"{m[1]} {m[2]} {m[3]}", "%d %B %Y").date() if m else date.today()
        )
        block = (
            system.split("Services:\n", 1)[-1].split("\n\n", 1)[0] if "Services:" in system else ""
        )
        self.services = re.findall(r"^- (.+?) \(\d+ min", block, flags=re.M)
        # What the business wrote itself: its policies and its reference document.
        self.texts = [
            _between(system, "Business instructions and policies:\n", "\n\n"),
            _between(system, DOCUMENT_START + "\n", "\n" + DOCUMENT_END),
        ]

    def service_in(self, text: str) -> str | None:
        """The service the text mentions, matched loosely ("haircuts" → "Haircut")."""
        lowered = text.lower()
        for name in sorted(self.services, key=len, reverse=True):
            if name.lower() in lowered:
                return name
        for name in self.services:
            head = name.lower().split()[0]
            if re.search(rf"\b{re.escape(head)}", lowered):
                return name
        return None


def first_step(
    intent: str, text: str, ctx: PromptFacts, tools: set[str], listed: str | None = None
) -> AIMessage:
    """React to a fresh request: call a tool, or answer directly when no tool is needed.

    `listed` is the service whose free times the previous reply listed: "Friday after 16:00"
    right after such a list asks for more of them.
    """
    service = ctx.service_in(text)
    day = dates.parse_date(text, ctx.today)
    clock = dates.parse_time(text)
    window = re.search(WINDOW, text.lower()) is not None
    if intent in {"slots", "unknown"} and not service and listed and (day or clock) and window:
        service, intent = listed, "slots"
    if intent in {"services", "unknown"} and service and (day or clock):
        intent = "book" if clock and not window else "slots"
    if intent in {"cancel", "reschedule"} and "list_my_appointments" in tools:
        ref = _reference(text)
        if ref and intent == "cancel":
            return _call("cancel_appointment", {"appointment_id": ref})
        if ref and day and clock:
            return _call(
                "reschedule_appointment",
                {"appointment_id": ref, "date": day.isoformat(), "time": f"{clock:%H:%M}"},
            )
        return _call("list_my_appointments", {})
    if intent == "list" and "list_my_appointments" in tools:
        return _call("list_my_appointments", {})
    if intent in {"book", "slots"} and "find_available_slots" in tools:
        if not service:
            return (
                _call("list_services", {}) if "list_services" in tools else AIMessage(DEMO_NOTICE)
            )
        if intent == "book" and day and clock:
            return _call(
                "book_appointment",
                {"service": service, "date": day.isoformat(), "time": f"{clock:%H:%M}"},
            )
        window_from, window_to = dates.time_window(text)
        args = {"service": service, "date": (day or ctx.today).isoformat()}
        if window_from:
            args["after"] = f"{window_from:%H:%M}"
        if window_to:
            args["before"] = f"{window_to:%H:%M}"
        return _call("find_available_slots", args)
    if intent in {"services", "book", "slots"} and "list_services" in tools:
        return _call("list_services", {})
    if intent == "hours" and "get_business_info" in tools:
        return _call("get_business_info", {})
    if intent == "info" or (intent == "unknown" and offline_lookup.asks(text)):
        return AIMessage(offline_lookup.answer(text, ctx.texts) or handoff.dont_know())
    name = f" {ctx.customer_name}" if ctx.customer_name else ""
    if intent == "greeting":
        return AIMessage(
            f"Hi{name}! Welcome to {ctx.business_name}. I can tell you about our services, prices "
            "and opening hours, show free times, and book, move or cancel appointments."
        )
    if intent == "thanks":
        return AIMessage(f"You're welcome{name}! Anything else I can do for you?")
    return AIMessage(DEMO_NOTICE)


def next_call_after(intent, text, results, ctx: PromptFacts, tools: set[str]) -> AIMessage | None:
    """A second tool call that follows from the first result (e.g. cancel the one appointment)."""
    name, result = results[-1]
    if name != "list_my_appointments" or not result.get("ok") or len(results) > 1:
        return None
    upcoming = result.get("appointments") or []
    if intent not in {"cancel", "reschedule"} or len(upcoming) != 1:
        return None
    appointment_id = upcoming[0]["id"]
    if intent == "cancel" and "cancel_appointment" in tools:
        return _call("cancel_appointment", {"appointment_id": appointment_id})
    day = dates.parse_date(text, ctx.today)
    clock = dates.parse_time(text)
    if intent == "reschedule" and day and clock and "reschedule_appointment" in tools:
        return _call(
            "reschedule_appointment",
            {"appointment_id": appointment_id, "date": day.isoformat(), "time": f"{clock:%H:%M}"},
        )
    return None


def _between(text: str, start: str, end: str) -> str:
    """The part of `text` after `start` up to `end` ("" when `start` is not there)."""
    if start not in text:
        return ""
    return text.split(start, 1)[1].split(end, 1)[0]


def _reference(text: str) -> int | None:
    m = re.search(
        r"(?:#|\b(?:appointment|booking|number|no\.?|id)\s*#?\s*)(\d{1,9})\b", text.lower()
    )
    return int(m[1]) if m else None


def _call(name: str, args: dict) -> AIMessage:
    return AIMessage(
        content="", tool_calls=[{"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}"}]
    )


def _loads(content) -> dict:
    try:
        value = json.loads(content) if isinstance(content, str) else content
    except ValueError:
        return {"ok": False, "message": str(content)}
    return value if isinstance(value, dict) else {"ok": True, "result": value}
