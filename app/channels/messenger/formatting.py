"""Messenger's text and message shapes: plain text, quick replies, limits."""

from __future__ import annotations

import re
from typing import Any

from app.channels.base import Button, Limits, ListSection, Outbound
from app.channels.text import split_message

LIMITS = Limits(
    text_chars=2000,
    buttons=13,  # buttons are sent as quick replies
    button_title_chars=20,
    quick_replies=13,
    quick_reply_title_chars=20,
)
MAX_PAYLOAD = 1000  # characters of a quick reply's payload
# The message tags Meta still accepts (the others were retired in March 2020).
TAGS = frozenset(
    {"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE", "HUMAN_AGENT"}
)

# Every message we send carries it (`message.metadata`), and Meta echoes it back with the
# message (`message_echoes`): an echo that has it is the bot's own send, one without it a
# person's answer from the Page inbox (or another app). The Meta app's id, which echoes carry
# too, is not known here.
METADATA = "booking-bot"

_FENCE = re.compile(r"^[ \t]*```[^\n`]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.M | re.S)
_INLINE_CODE = re.compile(r"(`+)(?=[^`\n])(.+?)(?<=[^`\n])\1(?!`)")
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\]\((\S+?)(?:\s+\"[^\"\n]*\")?\)")
_URL = re.compile(r"\bhttps?://[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"]")
_SLOT = re.compile("\ue000(\\d+)\ue001")
_RESERVED = re.compile("[\ue000\ue001]")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.M)
_BULLET = re.compile(r"^([ \t]*)[-*+•][ \t]+(?=\S)", re.M)
_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.M)
_TABLE_RULE = re.compile(
    r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*(?:\n|$)", re.M
)
_TABLE_ROW = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$", re.M)
# Emphasis, markdown or WhatsApp style. ASCII guards keep `2*3*4` and snake_case as they are.
_EMPHASIS = (
    re.compile(r"(?<![A-Za-z0-9*])\*{1,3}(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*{1,3}(?![A-Za-z0-9*])"),
    re.compile(r"(?<![A-Za-z0-9_])_{1,2}(?=[^\s_])([^_\n]+?)(?<=[^\s_])_{1,2}(?![A-Za-z0-9_])"),
    re.compile(r"(?<![A-Za-z0-9~])~{1,2}(?=[^\s~])([^~\n]+?)(?<=[^\s~])~{1,2}(?![A-Za-z0-9~])"),
)
_BLANKS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def to_plain(markdown: str) -> str:
    """Return markdown or WhatsApp-formatted text as Messenger shows it: plain text.

    Emphasis marks and backticks go; bullets become "•"; links become "label (url)";
    line breaks stay. URLs are kept verbatim (an `_` inside one is not emphasis).
    """
    slots: list[str] = []

    def keep(text: str) -> str:
        slots.append(text)
        return f"\ue000{len(slots) - 1}\ue001"

    text = _RESERVED.sub("", markdown.replace("\r\n", "\n"))
    text = _FENCE.sub(lambda m: keep(m.group(1).removesuffix("\n")), text)
    text = _INLINE_CODE.sub(lambda m: keep(m.group(2).strip()), text)
    text = _IMAGE_OR_LINK.sub(lambda m: _link(m.group(1).strip(), m.group(2), keep), text)
    text = _URL.sub(lambda m: keep(m.group(0)), text)
    text = _HEADING.sub(r"\1", text)
    text = _TABLE_RULE.sub("", text)
    text = _TABLE_ROW.sub(lambda m: " | ".join(c.strip() for c in m.group(1).split("|")), text)
    text = _RULE.sub("", text)
    text = _BULLET.sub(r"\1• ", text)
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    text = _BLANKS.sub("\n\n", text).strip()
    return _SLOT.sub(lambda m: slots[int(m.group(1))], text)


def _link(label: str, url: str, keep: Any) -> str:
    return f"{label} ({keep(url)})" if label and label != url else keep(url)


def format_text(markdown: str) -> list[str]:
    """Return the model's text as plain Messenger messages of at most 2,000 characters."""
    return split_message(to_plain(markdown), LIMITS.text_chars)


def shape(message: Outbound) -> tuple[str, list[Button]]:
    """Return the text and quick replies a message becomes on Messenger.

    Buttons and quick replies become quick replies; a list becomes quick replies too when
    its rows fit (13 in all, titles of 20), otherwise a numbered list in the text.
    """
    replies = [*message.buttons, *message.quick_replies]
    rows = [row for section in message.sections for row in section.rows]
    if not rows:
        return message.text, replies
    room = LIMITS.quick_replies - len(replies)
    if len(rows) <= room and all(len(r.title) <= LIMITS.quick_reply_title_chars for r in rows):
        return message.text, [*replies, *(Button(r.id, r.title) for r in rows)]
    return _numbered(message.text, message.sections), replies


def _numbered(text: str, sections: tuple[ListSection, ...]) -> str:
    lines: list[str] = []
    n = 0
    for section in sections:
        if len(sections) > 1 and section.title:
            lines.append(section.title)
        for row in section.rows:
            n += 1
            detail = f" ({row.description})" if row.description else ""
            lines.append(f"{n}. {row.title}{detail}")
    return "\n\n".join(p for p in (text.strip(), "\n".join(lines)) if p)


def validate(message: Outbound) -> list[str]:
    """Return every way `message` breaks Messenger's limits ([] when it can be sent)."""
    problems = []
    if message.template is not None:
        problems.append("templates are not supported on messenger (use a message tag)")
    if message.tag and message.tag not in TAGS:
        problems.append(f"tag {message.tag[:40]!r} is not a messenger message tag")
    text, replies = shape(message)
    if not text.strip():
        problems.append("text is empty")
    elif len(text) > LIMITS.text_chars:
        problems.append(f"text is {len(text)} characters; messenger allows {LIMITS.text_chars}")
    if len(replies) > LIMITS.quick_replies:
        problems.append(f"{len(replies)} quick replies; messenger allows {LIMITS.quick_replies}")
    for n, reply in enumerate(replies, 1):
        if not reply.title.strip():
            problems.append(f"quick reply {n} has no title")
        elif len(reply.title) > LIMITS.quick_reply_title_chars:
            problems.append(
                f"quick reply {n} title is {len(reply.title)} characters; "
                f"messenger allows {LIMITS.quick_reply_title_chars}"
            )
        if not reply.id:
            problems.append(f"quick reply {n} has no payload")
        elif len(reply.id) > MAX_PAYLOAD:
            problems.append(
                f"quick reply {n} payload is {len(reply.id)} characters; "
                f"messenger allows {MAX_PAYLOAD}"
            )
    return problems


def request_body(recipient: str, message: Outbound) -> dict[str, Any]:
    """Return the Send API JSON for a message that passed `validate`."""
    text, replies = shape(message)
    content: dict[str, Any] = {"text": text}
    if replies:
        content["quick_replies"] = [
            {"content_type": "text", "title": b.title, "payload": b.id} for b in replies
        ]
    content["metadata"] = METADATA
    body: dict[str, Any] = {"recipient": {"id": recipient}}
    if message.tag:
        body.update(messaging_type="MESSAGE_TAG", tag=message.tag)
    else:
        body["messaging_type"] = "RESPONSE"
    body["message"] = content
    return body
