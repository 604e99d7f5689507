"""Every write endpoint leaves exactly one audit row, with before/after and no secrets."""

from __future__ import annotations

import json

import pytest

from app.storage import db
from tests.fixtures_admin import audit_count
from tests.test_admin_permissions import ENDPOINTS, SITE, B, website  # noqa: F401 (fixture)

# (action, entity, has before, has after) expected for each write endpoint of the matrix.
AUDITED = {
    ("POST", "/auth/login"): ("login", "session", False, True),
    ("POST", "/auth/logout"): ("logout", "session", False, False),
    ("POST", "/auth/password"): ("update", "user", False, True),
    ("POST", "/businesses"): ("create", "business", False, True),
    ("PATCH", B): ("update", "business", True, True),
    ("PUT", B + "/services"): ("replace", "services", True, True),
    ("POST", B + "/conversations/<int:customer_id>/pause"): ("pause", "customer", True, True),
    ("POST", B + "/conversations/<int:customer_id>/resume"): ("resume", "customer", True, True),
    ("POST", B + "/appointments/<int:appointment_id>/cancel"): (
        "cancel",
        "appointment",
        True,
        True,
    ),
    ("POST", B + "/appointments"): ("book", "appointment", False, True),
    ("PATCH", B + "/appointments/<int:appointment_id>"): ("move", "appointment", True, True),
    ("POST", B + "/appointments/<int:appointment_id>/no-show"): (
        "no_show",
        "appointment",
        True,
        True,
    ),
    ("PUT", B + "/appointments/<int:appointment_id>/reminders"): (
        "reminders_off",
        "appointment",
        True,
        True,
    ),
    ("PUT", B + "/customers/<int:customer_id>/reminders"): (
        "reminders_off",
        "customer",
        True,
        True,
    ),
    ("POST", B + "/conversations/<int:customer_id>/erase"): ("erase", "customer", False, True),
    ("POST", B + "/conversations/<int:customer_id>/messages"): (
        "staff_reply",
        "customer",
        True,
        True,
    ),
    ("POST", B + "/blocked-times"): ("create", "blocked_time", False, True),
    ("DELETE", B + "/blocked-times/<int:block_id>"): ("delete", "blocked_time", True, False),
    ("PUT", B + "/reference-document"): ("edit", "reference_document", False, True),
    ("POST", B + "/reference-document/import"): ("import", "reference_document", False, True),
    ("POST", B + "/staff"): ("add", "membership", False, True),
    ("DELETE", B + "/staff/<int:user_id>"): ("remove", "membership", True, False),
    ("POST", "/users"): ("create", "user", False, True),
    ("PATCH", "/users/<int:user_id>"): ("update", "user", True, True),
    ("DELETE", "/users/<int:user_id>"): ("delete", "user", True, False),
    ("POST", B + "/sandbox/messages"): ("message", "sandbox", False, True),
    ("DELETE", B + "/sandbox"): ("reset", "sandbox", False, True),
}
WRITES = [ep for ep in ENDPOINTS if ep.method != "GET"]
SECRET_KEYS = {"password", "password_hash", "access_token", "token", "token_hash"}


def keys(value) -> set[str]:
    """Every key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def test_every_write_endpoint_is_audited():
    assert {(ep.method, ep.rule) for ep in WRITES} == set(AUDITED)


@pytest.mark.parametrize("endpoint", WRITES, ids=[f"{e.method} {e.rule}" for e in WRITES])
def test_write_leaves_one_audit_row(api, world, request, endpoint):
    actor = "owner" if endpoint.expected["owner"] < 300 else "superadmin"
    site = request.getfixturevalue("website")  # the import endpoint's URL
    before = audit_count()
    body = {k: site if v == SITE else v for k, v in (endpoint.body or {}).items()} or None
    resp = api(endpoint.method, endpoint.path(world), actor, json=body)
    assert resp.status_code < 300, resp.get_json()
    assert audit_count() == before + 1
    row = db.fetch_one("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    action, entity, has_before, has_after = AUDITED[(endpoint.method, endpoint.rule)]
    assert (row["action"], row["entity"]) == (action, entity)
    assert row["user_id"] == world.user_ids[actor]
    assert (row["before"] is not None, row["after"] is not None) == (has_before, has_after)
    if endpoint.rule.startswith(B):
        assert row["business_id"] == world.business_id
    assert not keys([row["before"], row["after"]]) & SECRET_KEYS
    dumped = json.dumps([row["before"], row["after"]])
    assert "scrypt:" not in dumped and "enc:v1" not in dumped


def test_update_records_before_and_after(api, world):
    api("PATCH", f"/businesses/{world.business_id}", json={"max_concurrent": 4})
    row = db.fetch_one("SELECT before, after FROM audit_log ORDER BY id DESC LIMIT 1")
    assert row == {"before": {"max_concurrent": 2}, "after": {"max_concurrent": 4}}


def test_owner_reads_only_their_business_audit(api, world):
    api("PATCH", f"/businesses/{world.business_id}", json={"language": "Spanish"})
    api("PATCH", f"/businesses/{world.other_business_id}", "other_owner", json={"language": "Thai"})
    entries = api("GET", f"/businesses/{world.business_id}/audit").get_json()["entries"]
    assert [(e["action"], e["after"]) for e in entries] == [("update", {"language": "Spanish"})]
    assert entries[0]["user_email"] == "owner@example.com"
    everything = api("GET", "/audit", "superadmin").get_json()
    assert everything["total"] == 2
