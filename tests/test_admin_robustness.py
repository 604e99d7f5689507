"""Hostile input gets a clean 4xx in the one error shape, never a 500, and changes nothing."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from app.storage import db
from tests.fixtures_admin import audit_count
from tests.test_admin_permissions import ENDPOINTS, B, Endpoint

BAD_BODIES = [
    b"{",
    b"not json",
    b"[1, 2]",
    b"null",
    b'"text"',
    b"42",
    b'{"name": NaN}',
    b'{"name": Infinity}',
    b"\xff\xfe\x00",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"name": "bad\\u0000byte", "email": "x\\u0000@y.z"}',
    b'{"name": "\\ud800", "email": "\\ud800@x.y"}',
    b'{"\\u0000": 1}',
    b'{"a":' * 50 + b"1" + b"}" * 50,
]
# Every endpoint that reads a JSON body (the cancel body is optional but still parsed).
READS_BODY = [ep for ep in ENDPOINTS if ep.body is not None] + [
    Endpoint("POST", B + "/appointments/<int:appointment_id>/cancel", {})
]


def assert_error_shape(resp, status: int) -> None:
    assert resp.status_code == status, (resp.status_code, resp.get_data()[:300])
    body = resp.get_json()
    assert isinstance(body["error"], str) and isinstance(body["message"], str)


@pytest.mark.parametrize("endpoint", READS_BODY, ids=[f"{e.method} {e.rule}" for e in READS_BODY])
def test_unparseable_bodies_are_400(api, world, endpoint):
    actor = "owner" if endpoint.expected.get("owner", 200) < 300 else "superadmin"
    before = audit_count()
    for raw in BAD_BODIES:
        resp = api(
            endpoint.method,
            endpoint.path(world),
            actor,
            data=raw,
            headers={"Content-Type": "application/json"},
        )
        assert_error_shape(resp, 400)
    assert audit_count() == before


SQL_TEXT = "Robert'); DROP TABLE businesses; -- %_\\ \" ; SELECT pg_sleep(10)"


def test_sql_metacharacters_are_stored_literally(api, world):
    body = {"name": SQL_TEXT[:200], "personality": SQL_TEXT, "instructions": SQL_TEXT}
    resp = api("PATCH", f"/businesses/{world.business_id}", json=body)
    assert resp.status_code == 200
    row = db.fetch_one(
        "SELECT name, personality FROM businesses WHERE id = %s", (world.business_id,)
    )
    assert row == {"name": SQL_TEXT.strip()[:200], "personality": SQL_TEXT.strip()}
    assert db.fetch_one("SELECT count(*) AS n FROM businesses")["n"] == 2


@pytest.mark.parametrize(
    "email", ["' OR '1'='1", "owner@example.com' --", "%", "_@_._", "owner@example.com\\"]
)
def test_sql_metacharacters_in_login_are_plain_failures(client, world, email):
    resp = client.post("/api/admin/auth/login", json={"email": email, "password": "' OR 1=1 --"})
    assert_error_shape(resp, 401)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("personality", "x" * 1_000_000),
        ("name", "n" * 100_000),
        ("closed_dates", ["2026-01-01"] * 5000),
        ("max_concurrent", 10**100),
        ("horizon_days", -(10**100)),
        (
            "opening_hours",
            {"mon": {"open": "09:00", "close": "18:00", "breaks": [["10:00", "10:01"]] * 50}},
        ),
    ],
)
def test_oversized_values_are_400(api, world, field, value):
    before = db.fetch_one("SELECT * FROM businesses WHERE id = %s", (world.business_id,))
    resp = api("PATCH", f"/businesses/{world.business_id}", json={field: value})
    assert_error_shape(resp, 400)
    assert any(key.startswith(field) for key in resp.get_json()["fields"])
    assert db.fetch_one("SELECT * FROM businesses WHERE id = %s", (world.business_id,)) == before


def test_body_over_the_size_limit_is_413(api, world):
    resp = api("PATCH", f"/businesses/{world.business_id}", data=b"x" * (4 * 1024 * 1024))
    assert_error_shape(resp, 413)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/businesses/99999999999999999999999999"),
        ("GET", "/businesses/9223372036854775808"),
        ("GET", "/businesses/0"),
        ("GET", "/businesses/-1"),
        ("GET", "/businesses/1/conversations/99999999999999999999999"),
        ("GET", "/businesses/1/conversations/0"),
        ("POST", "/businesses/1/appointments/99999999999999999999999/cancel"),
        ("DELETE", "/businesses/1/staff/99999999999999999999999"),
        ("DELETE", "/users/99999999999999999999999"),
        ("GET", "/no-such-endpoint"),
    ],
)
def test_impossible_ids_are_404(api, world, method, path):
    assert_error_shape(api(method, path, "superadmin"), 404)


def arabic_indic(number: int) -> str:
    """`number` in Arabic-Indic digits (which Python's int() and \\d accept too)."""
    return "".join(chr(0x0660 + int(d)) for d in str(number))


@pytest.mark.parametrize(
    "rule",
    [
        "/businesses/{b}",
        "/businesses/{b}/appointments/{a}",
        "/businesses/{b}/conversations/{c}",
    ],
)
def test_ids_in_other_scripts_digits_are_404(api, world, rule):
    """An id is ASCII digits: another script's digits do not name the same row."""
    ids = {
        "b": world.business_id,
        "a": world.appointment_id,
        "c": world.customer_id,
    }
    assert api("GET", rule.format(**ids), "superadmin").status_code == 200
    path = rule.format(**{k: quote(arabic_indic(v)) for k, v in ids.items()})
    assert_error_shape(api("GET", path, "superadmin"), 404)


@pytest.mark.parametrize(
    ("query", "bad_field"),
    [
        ("?page=abc", "page"),
        ("?page=-1", "page"),
        ("?page=0", "page"),
        ("?per_page=0", "per_page"),
        ("?per_page=101", "per_page"),
        ("?page=99999999999999999999999", "page"),
        ("?q=%00", "q"),
        ("?q=" + "a" * 201, "q"),
    ],
)
def test_bad_query_parameters_are_400(api, world, query, bad_field):
    resp = api("GET", f"/businesses/{world.business_id}/conversations{query}", "staff")
    assert_error_shape(resp, 400)
    assert list(resp.get_json()["fields"]) == [bad_field]


@pytest.mark.parametrize(
    "query",
    [
        "?q=" + "a" * 200,  # the longest search allowed
        "?per_page=100&page=1000000",
        "?q=%ED%A0%80",  # undecodable bytes arrive as U+FFFD and are simply searched for
    ],
)
def test_query_parameters_at_their_limits_are_200(api, world, query):
    resp = api("GET", f"/businesses/{world.business_id}/conversations{query}", "staff")
    assert resp.status_code == 200, resp.get_data()[:200]
    assert resp.get_json()["conversations"] == []


def test_wrong_method_is_405_in_the_error_shape(api, world):
    assert_error_shape(api("DELETE", f"/businesses/{world.business_id}", "superadmin"), 405)


def test_thread_query_limits(api, world):
    base = f"/businesses/{world.business_id}/conversations/{world.customer_id}"
    for query in ("?limit=0", "?limit=501", "?before=x"):
        assert_error_shape(api("GET", base + query, "staff"), 400)
