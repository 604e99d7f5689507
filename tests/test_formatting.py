"""Markdown to WhatsApp conversion and message splitting."""

from __future__ import annotations

import random
import re

import pytest

from app.channels.text import split_message
from app.channels.whatsapp.formatting import to_whatsapp

FENCE = "```"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**bold** and __bold__", "*bold* and *bold*"),
        ("*italic* and _italic_", "_italic_ and _italic_"),
        ("**bold *inner* more**", "*bold _inner_ more*"),
        ("***both***", "*_both_*"),
        ("~~gone~~", "~gone~"),
        ("# Title\n## **Sub** ##", "*Title*\n*Sub*"),
        ("#hashtag stays", "#hashtag stays"),
        ("[Book now](https://x.com/a_b__c__d)", "Book now (https://x.com/a_b__c__d)"),
        ("[https://a.com](https://a.com)", "https://a.com"),
        ("![logo](http://img.example/l_o_g_o.png)", "logo (http://img.example/l_o_g_o.png)"),
        ("see https://x.com/some__path__x_y.", "see https://x.com/some__path__x_y."),
        ("- one\n* two\n  - nested\n+ three", "• one\n• two\n  • nested\n• three"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("2*3*4 = 24", "2*3*4 = 24"),
        ("2**3**4 and 5 * 3 = 15", "2**3**4 and 5 * 3 = 15"),
        ("call my_snake_case_name()", "call my_snake_case_name()"),
        ("这是**粗体**文字", "这是*粗体*文字"),
        ("**Price:** $5", "*Price:* $5"),
        ("Use `x**2*y` here", f"Use {FENCE}x**2*y{FENCE} here"),
        (
            "```python\nprint('**hi**')\n_x_ = 1\n```\nafter **b**",
            f"{FENCE}print('**hi**')\n_x_ = 1{FENCE}\nafter *b*",
        ),
        ("```\nnever **closed**", f"{FENCE}never **closed**{FENCE}"),
        (
            "| Service | Price |\n|---|---:|\n| Cut | $20 |\n| **Color** | $50 |",
            "*Service: Price*\nCut: $20\n*Color*: $50",
        ),
        ("| a | b | c |\n| - | - | - |\n| 1 | 2 | 3 |", "*a | b | c*\n1 | 2 | 3"),
        ("a | b\nnot a table", "a | b\nnot a table"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("above\n\n---\n\nbelow", "above\n\nbelow"),
        ("  \n\nhello\n\n", "hello"),
        ("", ""),
    ],
)
def test_to_whatsapp(markdown: str, expected: str):
    assert to_whatsapp(markdown) == expected


def test_bold_is_not_turned_into_italic():
    assert to_whatsapp("**Monday**: *closed*") == "*Monday*: _closed_"


def non_ws(text: str) -> str:
    return re.sub(r"\s", "", text)


LONG_WORDS = " ".join(f"word{i}" for i in range(2000))
PARAGRAPHS = "\n\n".join(f"Paragraph {i}. " + "x " * 300 for i in range(12))


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 4096, ["short"]),
        ("  padded  \n", 4096, ["padded"]),
        ("", 10, []),
        ("   \n\n  ", 10, []),
        ("aaaaaaa", 3, ["aaa", "aaa", "a"]),
        ("One two.\n\nThree four.", 15, ["One two.", "Three four."]),
        ("line one\nline two", 12, ["line one", "line two"]),
        ("First one. Second one.", 15, ["First one.", "Second one."]),
        ("alpha beta gamma", 11, ["alpha beta", "gamma"]),
        ("Para one.\nline two\n\nPara two.", 25, ["Para one.\nline two", "Para two."]),
        (
            "intro\n```\ncode 1\ncode 2\n```\nafter",
            22,
            ["intro", "```\ncode 1\ncode 2\n```", "after"],
        ),
    ],
)
def test_split_table(text: str, limit: int, expected: list[str]):
    assert split_message(text, limit) == expected


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        (LONG_WORDS, 4096),
        ("y" * 10_000, 4096),
        (PARAGRAPHS, 4096),
        ("Long paragraph. " * 700, 4096),
        (PARAGRAPHS, 500),
    ],
)
def test_split_long_texts(text: str, limit: int):
    chunks = split_message(text, limit)
    assert len(chunks) > 1
    assert all(0 < len(c) <= limit and c == c.strip() for c in chunks)
    assert non_ws("".join(chunks)) == non_ws(text)


def test_paragraph_longer_than_limit_splits_at_sentences():
    intro = "An introduction that is long enough."
    text = intro + "\n\n" + "This sentence repeats. " * 30
    chunks = split_message(text, 100)
    assert chunks[0] == intro
    assert all(c.endswith(".") for c in chunks)


def test_code_block_kept_whole_when_it_fits():
    code = FENCE + "\n" + "\n".join(f"line {i}" for i in range(20)) + "\n" + FENCE
    text = "words " * 20 + "\n" + code + "\nend"
    chunks = split_message(text, len(code) + 10)
    assert code in chunks[1]


def test_split_rejects_non_positive_limit():
    with pytest.raises(ValueError):
        split_message("x", 0)


@pytest.mark.parametrize("seed", range(20))
def test_split_property_random(seed: int):
    rng = random.Random(seed)
    pieces = ["hi", "booking.", "slot!", "ok?", "z" * 40, "\n", "\n\n", FENCE, "é🙂"]
    text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 400)))
    limit = rng.randint(1, 120)
    chunks = split_message(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert non_ws("".join(chunks)) == non_ws(text)
