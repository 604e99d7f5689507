"""WhatsApp message shapes: what a channel-neutral message becomes, and the limits it must fit."""

from __future__ import annotations

import re
from typing import Any

from app.channels.base import Button, ListSection, Outbound
from app.channels.whatsapp.formatting import LIMITS

INTERACTIVE_BODY_CHARS = LIMITS.interactive_text_chars  # the text above buttons or a list
LIST_BUTTON_CHARS = 20
SECTION_TITLE_CHARS = 24
ID_CHARS = 256  # button and row ids
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
TEMPLATE_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$")
TEMPLATE_PARAMETER_CHARS = LIMITS.template_parameter_chars


def _replies(message: Outbound) -> list[Button]:
    """Buttons and quick replies: both become reply buttons on WhatsApp."""
    return [*message.buttons, *message.quick_replies]


def validate(message: Outbound) -> list[str]:
    """Return every way `message` breaks WhatsApp's limits ([] when it can be sent)."""
    if message.template is not None:
        return _template_problems(message)
    problems: list[str] = []
    replies, rows = _replies(message), [r for s in message.sections for r in s.rows]
    limit = INTERACTIVE_BODY_CHARS if replies or rows else LIMITS.text_chars
    if not message.text.strip():
        problems.append("text is empty")
    elif len(message.text) > limit:
        problems.append(f"text is {len(message.text)} characters; whatsapp allows {limit}")
    if replies and rows:
        problems.append("buttons and a list cannot go in one whatsapp message")
    if len(replies) > LIMITS.buttons:
        problems.append(f"{len(replies)} buttons; whatsapp allows {LIMITS.buttons}")
    for n, button in enumerate(replies, 1):
        problems += _item_problems(
            f"button {n}", button.id, button.title, LIMITS.button_title_chars
        )
    if rows:
        problems += _list_problems(message)
    return problems


def _list_problems(message: Outbound) -> list[str]:
    problems = []
    rows = [r for s in message.sections for r in s.rows]
    if len(rows) > LIMITS.list_rows:
        problems.append(f"{len(rows)} list rows; whatsapp allows {LIMITS.list_rows}")
    if len(message.sections) > LIMITS.list_sections:
        problems.append(f"{len(message.sections)} sections; whatsapp allows {LIMITS.list_sections}")
    if not 1 <= len(message.list_button) <= LIST_BUTTON_CHARS:
        problems.append(f"the list button label must be 1 to {LIST_BUTTON_CHARS} characters")
    for section in message.sections:
        if len(section.title) > SECTION_TITLE_CHARS or (
            len(message.sections) > 1 and not section.title
        ):
            problems.append(f"section titles must be 1 to {SECTION_TITLE_CHARS} characters")
    for n, row in enumerate(rows, 1):
        problems += _item_problems(f"row {n}", row.id, row.title, LIMITS.list_row_title_chars)
        if len(row.description) > LIMITS.list_row_description_chars:
            problems.append(f"row {n} description is over 72 characters")
    return problems


def _item_problems(what: str, item_id: str, title: str, title_chars: int) -> list[str]:
    problems = []
    if not title.strip():
        problems.append(f"{what} has no title")
    elif len(title) > title_chars:
        problems.append(f"{what} title is {len(title)} characters; whatsapp allows {title_chars}")
    if not 1 <= len(item_id) <= ID_CHARS:
        problems.append(f"{what} id must be 1 to {ID_CHARS} characters")
    return problems


def _template_problems(message: Outbound) -> list[str]:
    template = message.template
    problems = []
    if not TEMPLATE_NAME.match(template.name):
        problems.append("template name must be lower-case letters, digits and underscores")
    if not TEMPLATE_LANGUAGE.match(template.language):
        problems.append("template language must be a code such as en or en_US")
    for n, value in enumerate(template.parameters, 1):
        if not value.strip() or len(value) > TEMPLATE_PARAMETER_CHARS:
            problems.append(f"template parameter {n} must be 1 to 1024 characters")
        elif "\n" in value or "\t" in value or "    " in value:
            # Meta refuses parameters with new lines, tabs or more than four spaces in a row.
            problems.append(f"template parameter {n} has a new line, a tab or 4+ spaces")
    for n, button in enumerate(template.buttons, 1):
        if not 1 <= len(button.id) <= ID_CHARS:
            problems.append(f"template button {n} payload must be 1 to {ID_CHARS} characters")
    return problems


def request_body(recipient: str, message: Outbound) -> dict[str, Any]:
    """Return the Cloud API JSON for a message that passed `validate`."""
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        **addressed(recipient),
    }
    if message.template is not None:
        return {**body, "type": "template", "template": _template(message)}
    replies = _replies(message)
    if replies:
        buttons = [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in replies]
        action: dict[str, Any] = {"buttons": buttons}
        return {
            **body,
            "type": "interactive",
            "interactive": _interactive("button", message, action),
        }
    if message.sections:
        action = {"button": message.list_button, "sections": _sections(message.sections)}
        return {**body, "type": "interactive", "interactive": _interactive("list", message, action)}
    return {**body, "type": "text", "text": {"preview_url": False, "body": message.text}}


# A business-scoped user id (BSUID): a two-letter country code, a period, then letters and digits
# ("US.13491208655302741918"; a parent BSUID "US.ENT.…"). A customer who hides their number
# behind a username is known only by it; a phone number never has a period or a letter.
BSUID = re.compile(r"[A-Z]{2}\.[A-Za-z0-9.]+")


def addressed(recipient: str) -> dict[str, str]:
    """Who a message goes to, as the Cloud API takes it: a phone number in `to`, a BSUID in
    `recipient`."""
    return {"recipient": recipient} if BSUID.fullmatch(recipient) else {"to": recipient}


def _interactive(kind: str, message: Outbound, action: dict) -> dict[str, Any]:
    return {"type": kind, "body": {"text": message.text}, "action": action}


def _sections(sections: tuple[ListSection, ...]) -> list[dict[str, Any]]:
    out = []
    for section in sections:
        rows = []
        for row in section.rows:
            item = {"id": row.id, "title": row.title}
            if row.description:
                item["description"] = row.description
            rows.append(item)
        out.append({"title": section.title, "rows": rows} if section.title else {"rows": rows})
    return out


def _template(message: Outbound) -> dict[str, Any]:
    template = message.template
    components: list[dict[str, Any]] = []
    if template.parameters:
        parameters = [{"type": "text", "text": p} for p in template.parameters]
        components.append({"type": "body", "parameters": parameters})
    for index, button in enumerate(template.buttons):
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": button.id}],
            }
        )
    out: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    if components:
        out["components"] = components
    return out
