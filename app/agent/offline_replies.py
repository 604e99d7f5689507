"""How the offline demo model words its replies, from tool results only."""

from __future__ import annotations

from app.agent.tools import claim_of


def compose_reply(intent: str, results: list[tuple[str, dict]], customer_name: str) -> str:
    """A short WhatsApp reply that says exactly what the tool results say.

    A successful action is worded by the claim its tool declares (booked, moved, cancelled),
    so a new tool with one of those claims needs no words of its own here.
    """
    name, result = results[-1]
    if not result.get("ok", True):
        return _error(result)
    claim = claim_of(name)
    writer = CLAIM_WRITERS.get(claim.word) if claim else WRITERS.get(name)
    return writer(result, intent) if writer else "Done."


def _error(result: dict) -> str:
    message = result.get("message") or "That did not work."
    alternatives = result.get("alternatives") or []
    if alternatives:
        message += "\nFree times nearby:\n" + "\n".join(f"• {a}" for a in alternatives)
    return message


def _services(result: dict, intent: str) -> str:
    lines = [
        f"• {s['name']}: {s['duration_minutes']} min, {s['price']} {s['currency']}"
        for s in result.get("services", [])
    ]
    head = (
        "Which service would you like? We offer:"
        if intent in {"book", "slots"}
        else "Our services:"
    )
    return head + "\n" + "\n".join(lines) if lines else "We have no services listed yet."


def _info(result: dict, intent: str) -> str:
    hours = "\n".join(f"• {line}" for line in result.get("opening_hours", []))
    closed = result.get("closed_dates") or []
    text = f"Our opening hours:\n{hours}"
    if closed:
        text += "\nClosed on: " + ", ".join(closed)
    return text


def _slots(result: dict, intent: str) -> str:
    slots = result.get("slots") or []
    if slots:
        text = f"Free times for **{result['service']}** on {result['date']}:\n" + ", ".join(slots)
        more = result.get("more") or 0
        if more:
            times = "time" if more == 1 else "times"
            text += (
                f"\n…and {more} more {times} until {result['last']} — ask for a later time,"
                f' e.g. "{result["ask_for_more"]}".'
            )
        return text + "\nWhich one would you like?"
    text = f"Sorry, there are no free times for {result.get('service')} on {result.get('date')}."
    nxt = result.get("next_available") or []
    if nxt:
        text += "\nThe next free times are:\n" + "\n".join(f"• {s}" for s in nxt)
    return text


def _booked(result: dict, intent: str) -> str:
    a = result["appointment"]
    verb = "You already have" if result.get("existing") else "Booked ✅"
    return f"{verb} **{a['service']}** on {a['starts']} (booking #{a['id']}). See you then!"


def _list(result: dict, intent: str) -> str:
    items = result.get("appointments") or []
    if not items:
        return "You have no upcoming appointments."
    lines = [f"• #{a['id']} {a['service']} on {a['starts']}" for a in items]
    head = "Your upcoming appointments:"
    if intent == "cancel":
        head = 'Which one should I cancel? Reply with its number, e.g. "cancel #12".'
    elif intent == "reschedule":
        head = 'Which one should I move, and to when? E.g. "move #12 to tomorrow at 17:00".'
    return head + "\n" + "\n".join(lines)


def _cancelled(result: dict, intent: str) -> str:
    a = result["appointment"]
    return f"Cancelled: **{a['service']}** on {a['starts']} (booking #{a['id']})."


def _moved(result: dict, intent: str) -> str:
    a = result["appointment"]
    return f"Moved ✅ Your **{a['service']}** is now on {a['starts']} (booking #{a['id']})."


# Reading tools, by name; tools that act, by the word of their claim.
WRITERS = {
    "list_services": _services,
    "get_business_info": _info,
    "find_available_slots": _slots,
    "list_my_appointments": _list,
}
CLAIM_WRITERS = {"booked": _booked, "moved": _moved, "cancelled": _cancelled}
