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
        {"name": "Manicure", "price": "250.00", "currency": "MXN"},
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
        "Manicure: MXN 250",
        "Manicure: 250 pesos",
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
        ("Manicure: 300 pesos", "300.00"),
        ("Manicure: MXN 1,300.00", "1300.00"),
        ("Haircut: 20 dólares", "20.00"),
    ],
)
def test_another_price_is_a_conflict(line, stated):
    assert documented(line) == [stated]


SALON = {
    "services": [],
    "opening_hours": {day: WEEKDAY for day in ("mon", "tue", "wed", "thu", "fri")}
    | {"sat": {"open": "10:00", "close": "14:00"}},
}


def hours(line: str) -> list[tuple[str, str]]:
    return [(c["field"], c["document"]) for c in find_conflicts(SALON, line)]


@pytest.mark.parametrize(
    "line",
    [
        "Mon–Fri 9am–6pm",
        "Monday to Friday, 9:00 - 18:00",
        "Lunes a viernes: 9:00 a 18:00",
        "De lunes a viernes, de 9:00 a 18:00 h",
        "Lunes a viernes: 9:00 a 13:00 y de 15:00 a 18:00",
        "Sábados de 10:00 a 14:00",
        "Domingo: cerrado",
    ],
)
def test_hours_written_as_configured_are_no_conflict(line):
    assert hours(line) == []


@pytest.mark.parametrize(
    "line, stated",
    [
        ("Sábado: cerrado", [("opening_hours.sat", "closed")]),
        ("Domingos de 10:00 a 14:00", [("opening_hours.sun", "10:00–14:00")]),
        ("Miércoles: 9:00 - 20:00", [("opening_hours.wed", "09:00–20:00")]),
        (
            "lunes y martes: 8:00 a 18:00",
            [("opening_hours.mon", "08:00–18:00"), ("opening_hours.tue", "08:00–18:00")],
        ),
        (
            "De jueves a sábado, de 9:00 a 18:00",
            [("opening_hours.sat", "09:00–18:00")],
        ),
    ],
)
def test_other_hours_in_spanish_are_a_conflict(line, stated):
    assert hours(line) == stated
