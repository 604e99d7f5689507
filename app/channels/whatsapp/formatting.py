"""WhatsApp's text: markdown to WhatsApp syntax, split to fit its limits."""

from __future__ import annotations

import re
from collections.abc import Callable

from app.channels.base import Limits
from app.channels.text import split_message

LIMITS = Limits(
    text_chars=4096,
    interactive_text_chars=1024,
    buttons=3,
    button_title_chars=20,
    list_rows=10,
    list_sections=10,
    list_row_title_chars=24,
    list_row_description_chars=72,
    quick_replies=3,  # sent as reply buttons
    quick_reply_title_chars=20,
    template_parameter_chars=1024,
)
MAX_MESSAGE = LIMITS.text_chars

_FENCE = re.compile(r"^[ \t]*```[^\n`]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.M | re.S)
_INLINE_CODE = re.compile(r"(`+)(?=[^`\n])(.+?)(?<=[^`\n])\1(?!`)")
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\]\((\S+?)(?:\s+\"[^\"\n]*\")?\)")
_URL = re.compile(r"\bhttps?://[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"]")
_SLOT = re.compile("\ue000(\\d+)\ue001")
_BOLD_ITALIC = re.compile(r"(?<![A-Za-z0-9*])\*\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*\*(?![A-Za-z0-9*])")
_BOLD = re.compile(r"(?<![A-Za-z0-9*])\*\*(?=[^\s*])(.+?)(?<=[^\s*])\*\*(?![A-Za-z0-9*])")
_BOLD_UNDER = re.compile(r"(?<![\w_])__(?=[^\s_])(.+?)(?<=[^\s_])__(?![\w_])")
# ASCII-only guards: `2*3*4` stays as is, while CJK text may still put emphasis mid-word.
_ITALIC = re.compile(r"(?<![A-Za-z0-9*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![A-Za-z0-9*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+(?=\S)")
_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_BLANKS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_BOLD_MARK = "\x01"  # stands for WhatsApp's `*` until italics are done, so bold stays bold
_RESERVED = re.compile("[\x01\ue000\ue001]")


def to_whatsapp(markdown: str) -> str:
    """Convert common LLM markdown to WhatsApp formatting."""
    slots: list[str] = []

    def keep(text: str) -> str:
        slots.append(text)
        return f"\ue000{len(slots) - 1}\ue001"

    text = _RESERVED.sub("", markdown.replace("\r\n", "\n"))
    text = _FENCE.sub(lambda m: keep(_code(m.group(1).removesuffix("\n"))), text)
    text = _INLINE_CODE.sub(lambda m: keep(_code(m.group(2).strip())), text)
    text = _IMAGE_OR_LINK.sub(lambda m: _link(m.group(1), m.group(2), keep), text)
    text = _URL.sub(lambda m: keep(m.group(0)), text)
    text = "\n".join(_blocks(text.split("\n")))
    text = _inline(text)
    text = _BLANKS.sub("\n\n", text).strip()
    return _SLOT.sub(lambda m: slots[int(m.group(1))], text)


def _code(content: str) -> str:
    return f"```{content}```" if content.strip() else content


def _link(label: str, url: str, keep: Callable[[str], str]) -> str:
    label = label.strip()
    return f"{label} ({keep(url)})" if label and label != url else keep(url)


def _inline(text: str) -> str:
    text = _BOLD_ITALIC.sub(lambda m: f"{_BOLD_MARK}_{m.group(1)}_{_BOLD_MARK}", text)
    text = _BOLD.sub(lambda m: _BOLD_MARK + m.group(1) + _BOLD_MARK, text)
    text = _BOLD_UNDER.sub(lambda m: _BOLD_MARK + m.group(1) + _BOLD_MARK, text)
    text = _ITALIC.sub(r"_\1_", text)
    text = _STRIKE.sub(r"~\1~", text)
    return text.replace(_BOLD_MARK, "*")


def _blocks(lines: list[str]) -> list[str]:
    """Rewrite headings, bullets, rules and tables line by line."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "|" in line and i + 1 < len(lines) and _is_table_rule(lines[i + 1]):
            rows = [_cells(line)]
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                rows.append(_cells(lines[i]))
                i += 1
            out.extend(_table(rows))
            continue
        heading = _HEADING.match(line)
        if heading:
            title = heading.group(1).replace("**", "").replace("__", "").strip()
            line = _BOLD_MARK + title + _BOLD_MARK
        elif _RULE.match(line):
            line = ""
        else:
            line = _BULLET.sub(r"\1• ", line)
        out.append(line)
        i += 1
    return out


def _is_table_rule(line: str) -> bool:
    return "|" in line and _TABLE_RULE.match(line) is not None


def _cells(line: str) -> list[str]:
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)]


def _table(rows: list[list[str]]) -> list[str]:
    """Render table rows as `a: b` (two columns) or `a | b | c`, the header in bold."""
    lines = []
    for n, cells in enumerate(rows):
        cells = [c for c in cells if c] or [""]
        line = ": ".join(cells) if len(cells) == 2 else " | ".join(cells)
        if n == 0 and line:
            line = _BOLD_MARK + line.replace("**", "") + _BOLD_MARK
        lines.append(line)
    return lines


def format_text(markdown: str) -> list[str]:
    """Return the model's text as WhatsApp messages of at most 4,096 characters."""
    return split_message(to_whatsapp(markdown), LIMITS.text_chars)
