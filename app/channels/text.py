"""Text helpers every channel shares: splitting a reply into messages that fit a limit."""

from __future__ import annotations

import re


def split_message(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most limit characters at the best boundaries available.

    Boundaries, strongest first: paragraph, line, sentence end, word; a cut inside a ```
    code block is avoided when a boundary outside it fits.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    chunks: list[str] = []
    rest = text.strip()
    in_code = False
    while rest:
        if len(rest) <= limit:
            chunks.append(rest)
            break
        cut = _best_cut(rest, limit, in_code)
        chunk = rest[:cut].rstrip()
        in_code ^= chunk.count("```") % 2 == 1
        chunks.append(chunk)
        rest = rest[cut:].lstrip()
    return chunks


# Strongest first; group 1 marks the cut: paragraph, line, sentence end, word.
_BOUNDARIES = (
    re.compile(r"()\n[ \t]*\n"),
    re.compile(r"()\n"),
    re.compile(r"[.!?…。][\"'”’)\]]*()\s"),
    re.compile(r"()\s"),
)


def _best_cut(text: str, limit: int, in_code: bool) -> int:
    """Return where to cut text: the strongest boundary that fits, outside code if possible."""
    window = text[: limit + 1]  # a boundary right after the limit still yields a full chunk
    fences = [m.start() for m in re.finditer("```", window)]
    floor = limit // 3  # a paragraph break near the start would waste a whole message

    def outside(pos: int) -> bool:
        return (in_code + sum(1 for f in fences if f < pos)) % 2 == 0

    levels = [
        [m.start(1) for m in b.finditer(window) if 0 < m.start(1) <= limit] for b in _BOUNDARIES
    ]
    # Prefer a long chunk outside code, then any chunk outside code, then a long one inside.
    for accept in (
        lambda c: outside(c) and c >= floor,
        outside,
        lambda c: c >= floor,
    ):
        for cuts in levels:
            found = [c for c in cuts if accept(c)]
            if found:
                return found[-1]
    return limit
