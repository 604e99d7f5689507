"""PUT /businesses/<id>/services: replace the list, retire removed services, validate each item."""

from __future__ import annotations

import pytest

from app.storage import db


def stored(business_id: int) -> list[tuple]:
    return [
        (r["name"], r["duration_minutes"], str(r["price"]), r["currency"], r["active"])
        for r in db.fetch_all(
            "SELECT * FROM services WHERE business_id = %s ORDER BY active DESC, position, id",
            (business_id,),
        )
    ]


def put(api, world, services, actor="owner"):
    return api(
        "PUT", f"/businesses/{world.business_id}/services", actor, json={"services": services}
    )


def test_replace_keeps_renames_adds_and_retires(api, world):
    current = api("GET", f"/businesses/{world.business_id}").get_json()["services"]
    haircut = next(s for s in current if s["name"] == "Haircut")
    resp = put(
        api,
        world,
        [
            {"id": haircut["id"], "name": "Men's cut", "duration_minutes": 40, "price": 27.5},
            {"name": "beard TRIM", "duration_minutes": 20, "price": "14", "currency": "eur"},
            {"name": "Kids cut", "duration_minutes": 20},
        ],
    )
    assert resp.status_code == 200, resp.get_json()
    assert [s["name"] for s in resp.get_json()["services"]] == [
        "Men's cut",
        "beard TRIM",
        "Kids cut",
    ]
    assert stored(world.business_id) == [
        ("Men's cut", 40, "27.50", "EUR", True),
        ("beard TRIM", 20, "14.00", "EUR", True),
        ("Kids cut", 20, "0.00", "EUR", True),
        ("Hair coloring", 90, "60.00", "EUR", False),
    ]
    # The existing appointment still points at the (renamed) service row it was booked for.
    row = db.fetch_one(
        "SELECT s.name FROM appointments a JOIN services s ON s.id = a.service_id WHERE a.id = %s",
        (world.appointment_id,),
    )
    assert row["name"] == "Men's cut"


def test_retired_service_is_revived_by_name(api, world):
    put(api, world, [{"name": "Haircut", "duration_minutes": 30, "price": 25}])
    retired = db.fetch_one("SELECT id FROM services WHERE name = 'Beard trim'")["id"]
    put(api, world, [{"name": "Beard trim", "duration_minutes": 15, "price": 12}])
    active = db.fetch_all(
        "SELECT id FROM services WHERE business_id = %s AND active", (world.business_id,)
    )
    assert [r["id"] for r in active] == [retired]


@pytest.mark.parametrize("name", ["Κούρεμα ανδρός", "Straße"])
def test_service_is_kept_by_name_where_lower_and_casefold_differ(api, world, name):
    """Names are matched as the validation folds them: the same list sent again (or in another
    case) keeps its rows, also for letters SQL lower() and casefold() fold apart (ς, ß)."""
    put(api, world, [{"name": name, "duration_minutes": 30}])
    active = "SELECT id, name FROM services WHERE business_id = %s AND active"
    [first] = db.fetch_all(active, (world.business_id,))
    assert put(api, world, [{"name": name, "duration_minutes": 45}]).status_code == 200
    assert db.fetch_all(active, (world.business_id,)) == [first]
    assert put(api, world, [{"name": name.upper(), "duration_minutes": 45}]).status_code == 200
    assert db.fetch_all(active, (world.business_id,)) == [{"id": first["id"], "name": name.upper()}]


def test_swapping_names_does_not_collide(api, world):
    current = api("GET", f"/businesses/{world.business_id}").get_json()["services"]
    a, b = current[0], current[1]
    resp = put(
        api,
        world,
        [
            {"id": a["id"], "name": b["name"], "duration_minutes": 10},
            {"id": b["id"], "name": a["name"], "duration_minutes": 10},
        ],
    )
    assert resp.status_code == 200


BAD_SERVICES = [
    ([{"name": "", "duration_minutes": 30}], "services.0.name"),
    ([{"duration_minutes": 30}], "services.0.name"),
    ([{"name": "A", "duration_minutes": 0}], "services.0.duration_minutes"),
    ([{"name": "A", "duration_minutes": 721}], "services.0.duration_minutes"),
    ([{"name": "A", "duration_minutes": "30"}], "services.0.duration_minutes"),
    ([{"name": "A", "duration_minutes": 30, "price": -1}], "services.0.price"),
    ([{"name": "A", "duration_minutes": 30, "price": "NaN"}], "services.0.price"),
    ([{"name": "A", "duration_minutes": 30, "price": "1e400"}], "services.0.price"),
    ([{"name": "A", "duration_minutes": 30, "price": 1.234}], "services.0.price"),
    ([{"name": "A", "duration_minutes": 30, "price": True}], "services.0.price"),
    ([{"name": "A", "duration_minutes": 30, "currency": "EURO"}], "services.0.currency"),
    ([{"name": "A", "duration_minutes": 30, "currency": "€"}], "services.0.currency"),
    ([{"name": "A", "duration_minutes": 30, "currency": "eur\n"}], "services.0.currency"),
    ([{"name": "A", "duration_minutes": 30, "colour": "red"}], "services.0.colour"),
    (
        [{"name": "Cut", "duration_minutes": 30}, {"name": " cUT ", "duration_minutes": 30}],
        "services.1.name",
    ),
    ([{"id": 987654, "name": "A", "duration_minutes": 30}], "services.0.id"),
    (
        [
            {"id": 1, "name": "A", "duration_minutes": 3},
            {"id": 1, "name": "B", "duration_minutes": 3},
        ],
        "services.1.id",
    ),
    (["Haircut"], "services.0"),
    ("Haircut", "services"),
]


@pytest.mark.parametrize(("services", "key"), BAD_SERVICES, ids=[k for _, k in BAD_SERVICES])
def test_bad_service_is_named_and_nothing_saved(api, world, services, key):
    before = stored(world.business_id)
    stamp = db.fetch_one("SELECT updated_at FROM businesses WHERE id = %s", (world.business_id,))
    resp = put(api, world, services)
    assert resp.status_code == 400
    assert key in resp.get_json()["fields"], resp.get_json()
    assert stored(world.business_id) == before
    assert (
        db.fetch_one("SELECT updated_at FROM businesses WHERE id = %s", (world.business_id,))
        == stamp
    )


def test_foreign_service_id_is_refused(api, world):
    foreign = db.fetch_one(
        "SELECT id FROM services WHERE business_id = %s", (world.other_business_id,)
    )["id"]
    resp = put(api, world, [{"id": foreign, "name": "Stolen", "duration_minutes": 30}])
    assert resp.status_code == 400
    assert db.fetch_one("SELECT name FROM services WHERE id = %s", (foreign,))["name"] == "Massage"


def test_unknown_top_level_key_is_400(api, world):
    resp = api(
        "PUT", f"/businesses/{world.business_id}/services", json={"services": [], "extra": 1}
    )
    assert resp.status_code == 400 and "extra" in resp.get_json()["fields"]
