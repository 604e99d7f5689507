"""Where the reference document disagrees with the configured prices and opening hours."""

from __future__ import annotations

import pytest

from app.knowledge.conflicts import find_conflicts

WEEKDAY = {"open": "09:00", "close": "18:00"}
BUSINESS = {
    "services": [
        {"name": "Colour", "price": "1200.00", "currency": "EUR"},
        {"name": "Haircut", "price": "15.50", "currency": "USD"},
        {"name": "Consultation", "price": "0.00", "currency": "EUR"},
    ],
    "opening_hours": {day: WEEKDAY for day in ("mon", "tue", "wed", "thu", "fri")},
}


def documented(line: str) -> list[str]:
    return [c["document"] for c in find_conflicts(BUSINESS, line)]


@pytest.mark.parametrize(
    "line",
    [
        "Colour: 1.200 €",
        "Colour: 1,200 EUR",
        "Colour: 1.200,00 €",
        "Colour: €1,200.00",
        "Colour: 1 200 €",
        "Colour 1200€",
        "Haircut $15.50",
        "Haircut: 15,50 USD",
        "Haircut: 15,5 dollars",
        "Consultation: 0 €",
    ],
)
def test_a_price_written_as_configured_is_no_conflict(line):
    assert documented(line) == []


@pytest.mark.parametrize(
    "line, stated",
    [
        ("Colour: 1.300 €", "1300.00"),
        ("Colour: 200 €", "200.00"),
        ("Colour: $1,250.50", "1250.50"),
        ("Haircut $16", "16.00"),
        ("Consultation: 10 €", "10.00"),
    ],
)
def test_another_price_is_a_conflict(line, stated):
    assert documented(line) == [stated]
