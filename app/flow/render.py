"""A flow reply as the customer's channel can show it: reply buttons, a list in sections per
day, quick replies, or a numbered list in the text ("Reply with 1–5") where nothing tappable
exists (mock mode, plain-text channels, the reply of a model-free turn today).

Every message is checked against the channel's limits (its `validate()` and the sizes in its
`Limits`) before it is returned; one that does not fit goes as the numbered text instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from itertools import groupby

from app.channels.base import Button, Capability, Limits, ListRow, ListSection, Outbound
from app.flow import words
from app.flow.ids import MAX_ID
from app.flow.state import Option

log = logging.getLogger(__name__)
LIST_BUTTON_CHARS = 20  # WhatsApp's label of the button that opens a list
SECTION_TITLE_CHARS = 24


@dataclass(frozen=True)
class Reply:
    """What the flow answers: a text, the options it offers and the question that ends it."""

    text: str
    options: tuple[Option, ...] = ()
    prompt: str = ""
    lang: str = "en"
    details: bool = False  # the options' descriptions belong in the numbered text too
    list_button: str = ""
    notes: tuple[str, ...] = ()  # paragraphs above the text (the degraded-mode note)


def body(reply: Reply) -> str:
    """The reply's words without its options (notes first, each a paragraph of its own)."""
    main = "\n".join(p for p in (reply.text, reply.prompt) if p)
    return "\n\n".join([*reply.notes, main])


def numbered(reply: Reply) -> str:
    """The reply as plain text, its options numbered in the order "2" and "the second" pick."""
    if not reply.options:
        return body(reply)
    lines = [reply.text]
    sections = {o.section for o in reply.options}
    for n, option in enumerate(reply.options, 1):
        if (
            len(sections) > 1
            and option.section
            and (n == 1 or reply.options[n - 2].section != option.section)
        ):
            lines.append(f"**{option.section}**")
        shown = reply.details or option.id.startswith("more:")  # how many more, and until when
        detail = f" — {option.description}" if shown and option.description else ""
        lines.append(f"{n}. {option.title}{detail}")
    count = len(reply.options)
    hint = (
        words.say(reply.lang, "reply_with", count=count)
        if count > 1
        else words.say(reply.lang, "reply_with_one")
    )
    lines.append(f"{reply.prompt} {hint}" if reply.prompt else hint)
    return "\n\n".join([*reply.notes, "\n".join(line for line in lines if line)])


def outbound(reply: Reply, channel=None) -> Outbound:
    """The reply for `channel` (a `channels.base.Channel`; None: plain text, as in mock mode)."""
    if channel is None or not reply.options:
        return Outbound(text=numbered(reply))
    message = shape(reply, channel.capabilities, channel.limits)
    wrong = problems(message, channel.limits) + channel.validate(message)
    if wrong:
        log.warning("flow reply does not fit %s: %s", channel.name, "; ".join(wrong[:3]))
        return Outbound(text=numbered(reply))
    return message


def for_channel(reply: Reply, channel, plain: bool = False) -> list[str | Outbound]:
    """The messages to queue for `channel`, their text in its own syntax (`format_text`).

    `plain`: numbered text whatever the channel can show (mock mode, the console's test chat).
    """
    message = outbound(reply, None if plain else channel)
    if message.buttons or message.sections or message.quick_replies:
        shown = replace(message, text="\n".join(channel.format_text(message.text)))
        if not problems(shown, channel.limits) + channel.validate(shown):
            return [shown]
        message = Outbound(text=numbered(reply))
    return list(channel.format_text(message.text))


def shape(reply: Reply, capabilities: frozenset, limits: Limits) -> Outbound:
    """The richest form the capabilities allow and the options fit, else the numbered text."""
    options = reply.options
    titles = [o.title for o in options]
    one_day = len({o.section for o in options}) <= 1
    if (
        Capability.REPLY_BUTTONS in capabilities
        and len(options) <= limits.buttons
        and one_day
        and all(len(t) <= limits.button_title_chars for t in titles)
    ):
        return Outbound(text=body(reply), buttons=tuple(Button(o.id, o.title) for o in options))
    if Capability.LISTS in capabilities and len(options) <= limits.list_rows:
        sections = _sections(options, limits)
        if len(sections) <= limits.list_sections:
            label = words.fit(reply.list_button or words.say(reply.lang, "choose"), 20)
            return Outbound(text=body(reply), list_button=label, sections=sections)
    if Capability.QUICK_REPLIES in capabilities and len(options) <= limits.quick_replies:
        chips = tuple(
            Button(o.id, words.fit(o.title, limits.quick_reply_title_chars)) for o in options
        )
        # A chip shows its title alone: what the descriptions add (prices, lengths, which
        # booking) stays in the text, numbered as the chips are, when it fits above them.
        text = body(reply)
        if reply.details and any(o.description for o in options):
            listed = numbered(reply)
            text = listed if len(listed) <= _interactive_text_chars(limits) else text
        return Outbound(text=text, quick_replies=chips)
    return Outbound(text=numbered(reply))


def _sections(options: tuple[Option, ...], limits: Limits) -> tuple[ListSection, ...]:
    out = []
    for title, group in groupby(options, key=lambda o: o.section):
        rows = tuple(
            ListRow(
                o.id,
                words.fit(o.title, limits.list_row_title_chars),
                words.fit(o.description, limits.list_row_description_chars),
            )
            for o in group
        )
        out.append(ListSection(words.fit(title, SECTION_TITLE_CHARS), rows))
    if len(out) > 1 and not all(s.title for s in out):
        out = [ListSection(s.title or "…", s.rows) for s in out]
    return tuple(out)


def problems(message: Outbound, limits: Limits) -> list[str]:
    """Every way `message` exceeds `limits` (Meta's sizes for the channel); [] when it fits."""
    found = []
    interactive = message.buttons or message.sections or message.quick_replies
    text_limit = _interactive_text_chars(limits) if interactive else limits.text_chars
    if not message.text.strip():
        found.append("text is empty")
    if len(message.text) > text_limit:
        found.append(f"text has {len(message.text)} characters, over {text_limit}")
    found += _items("button", message.buttons, limits.buttons, limits.button_title_chars)
    found += _items(
        "quick reply",
        message.quick_replies,
        limits.quick_replies,
        limits.quick_reply_title_chars,
    )
    rows = [row for section in message.sections for row in section.rows]
    found += _items("list row", rows, limits.list_rows, limits.list_row_title_chars)
    if message.sections:
        if len(message.sections) > limits.list_sections:
            found.append(f"{len(message.sections)} sections, over {limits.list_sections}")
        if not 1 <= len(message.list_button) <= LIST_BUTTON_CHARS:
            found.append("list button label must have 1 to 20 characters")
        for section in message.sections:
            if len(section.title) > SECTION_TITLE_CHARS:
                found.append(f"section title {section.title!r} over {SECTION_TITLE_CHARS}")
        for row in rows:
            if len(row.description) > limits.list_row_description_chars:
                found.append(f"row {row.id} description over {limits.list_row_description_chars}")
    every = [item.id for item in (*message.buttons, *message.quick_replies, *rows)]
    if len(every) != len(set(every)):
        found.append("ids must be unique within a message")
    # Two choices that read alike (names cut to the same words) cannot be told apart, and
    # WhatsApp refuses two buttons with one title.
    seen = [_told(b.title) for b in (*message.buttons, *message.quick_replies)]
    seen += [
        (s.title, _told(r.title), _told(r.description)) for s in message.sections for r in s.rows
    ]
    if len(seen) != len(set(seen)):
        found.append("two choices read the same")
    if sum(bool(x) for x in (message.buttons, message.sections, message.quick_replies)) > 1:
        found.append("buttons, a list and quick replies cannot share one message")
    return found


def _interactive_text_chars(limits: Limits) -> int:
    return limits.interactive_text_chars or limits.text_chars


def _told(text: str) -> str:
    """What a customer tells a title by: its words, whatever their case and spacing."""
    return " ".join(text.casefold().split())


def _items(what: str, items, most: int, title_chars: int) -> list[str]:
    found = []
    if len(items) > most:
        found.append(f"{len(items)} {what}s, over {most}")
    for item in items:
        if not item.title.strip() or len(item.title) > title_chars:
            found.append(f"{what} title {item.title!r} must have 1 to {title_chars} characters")
        if not 1 <= len(item.id) <= MAX_ID:
            found.append(f"{what} id must have 1 to {MAX_ID} characters")
    return found
