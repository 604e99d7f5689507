"""What the admin API answers is what app/admin/openapi.json says: a tour through its routes,
as each role, with every response (errors included) validated against the documented schema of
its status by jsonschema (JSON Schema 2020-12, as OpenAPI 3.1 uses). A status the document does
not list for the route is a failure too."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from jsonschema import Draft202012Validator

from app.admin.openapi import spec
from tests.fixtures_admin import PASSWORD, make_appointment, make_block
from tests.test_admin_permissions import MOVE, STAFF_BOOKING

PREFIX = "/api/admin"


def tour(world) -> list[tuple[str, str, str, dict | None]]:
    b, other = world.business_id, world.other_business_id
    c, a = world.customer_id, world.appointment_id
    later = (datetime.now(UTC) + timedelta(days=200)).replace(microsecond=0)
    soon = (datetime.now(UTC) + timedelta(days=2)).date()
    return [
        (
            "POST",
            "/auth/login",
            "anonymous",
            {"email": world.emails["owner"], "password": PASSWORD},
        ),
        ("POST", "/auth/login", "anonymous", {"email": world.emails["owner"], "password": "no"}),
        ("GET", "/me", "owner", None),
        (
            "POST",
            "/auth/password",
            "staff",
            {"current_password": "wrong", "new_password": "short"},
        ),
        (
            "POST",
            "/auth/password",
            "staff",
            {"current_password": PASSWORD, "new_password": "quartz lantern meadow 57"},
        ),
        ("POST", f"/businesses/{b}/staff", "owner", {"email": "unclaimed@example.com"}),
        ("POST", f"/businesses/{other}/staff", "other_owner", {"email": "unclaimed@example.com"}),
        ("GET", "/businesses", "owner", None),
        ("GET", f"/businesses/{b}", "owner", None),
        ("PATCH", f"/businesses/{b}", "owner", {"name": "Demo Salon 2"}),
        ("PATCH", f"/businesses/{b}", "staff", {"name": "x"}),
        ("PATCH", f"/businesses/{b}", "superadmin", {"whatsapp_number_id": "999000999"}),
        ("GET", f"/businesses/{b}/prompt-preview", "owner", None),
        ("PUT", f"/businesses/{b}/reference-document", "owner", {"content": "We are open."}),
        ("GET", f"/businesses/{b}/reference-document", "owner", None),
        ("GET", f"/businesses/{b}/reference-document/versions", "owner", None),
        ("POST", f"/businesses/{b}/reference-document/import", "owner", {"url": "file:///x"}),
        ("GET", f"/businesses/{b}/usage", "owner", None),
        ("GET", f"/businesses/{b}/conversations", "owner", None),
        ("GET", f"/businesses/{b}/conversations/{c}", "owner", None),
        ("POST", f"/businesses/{b}/conversations/{c}/pause", "staff", None),
        ("POST", f"/businesses/{b}/conversations/{c}/resume", "staff", None),
        ("POST", f"/businesses/{b}/conversations/{c}/messages", "staff", {"text": "Hi"}),
        ("POST", f"/businesses/{b}/conversations/{c}/messages", "staff", {"text": " "}),
        ("GET", f"/businesses/{b}/appointments", "owner", None),
        ("GET", f"/businesses/{b}/appointments/{a}", "owner", None),
        ("PUT", f"/businesses/{b}/appointments/{a}/reminders", "staff", {"enabled": False}),
        ("PUT", f"/businesses/{b}/customers/{c}/reminders", "staff", {"enabled": False}),
        (
            "POST",
            f"/businesses/{b}/blocked-times",
            "staff",
            {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat()},
        ),
        ("GET", f"/businesses/{b}/blocked-times", "staff", None),
        ("GET", f"/businesses/{b}/overview", "staff", None),
        ("GET", f"/businesses/{b}/overview?date=0001-01-01", "staff", None),
        ("GET", f"/businesses/{b}/calendar", "staff", None),
        ("GET", f"/businesses/{other}/calendar", "owner", None),
        ("GET", f"/businesses/{b}/slots?service=Haircut&date={soon}", "staff", None),
        (
            "POST",
            f"/businesses/{b}/appointments",
            "staff",
            {"service": "Haircut", "starts_at": "2000-01-01T10:00:00+00:00", "customer_name": "W"},
        ),
        ("PATCH", f"/businesses/{b}/appointments/{a}", "staff", {"starts_at": "nonsense"}),
        ("GET", f"/businesses/{b}/staff", "owner", None),
        ("GET", f"/businesses/{b}/audit", "owner", None),
        ("GET", "/audit", "superadmin", None),
        ("GET", "/llm-breakers", "superadmin", None),
        ("GET", "/users", "superadmin", None),
        ("PATCH", f"/users/{world.target_user_id}", "superadmin", {"name": "T"}),
        ("POST", f"/businesses/{b}/sandbox/messages", "staff", {"text": "what services?"}),
        ("POST", f"/businesses/{b}/sandbox/messages", "staff", {"text": "book a haircut"}),
        ("GET", f"/businesses/{b}/sandbox/messages", "staff", None),
        ("DELETE", f"/businesses/{b}/sandbox", "staff", None),
        ("GET", f"/businesses/{b}/conversations/{c}/export", "staff", None),
        ("POST", f"/businesses/{b}/appointments/{a}/cancel", "staff", {"notify": False}),
        ("POST", f"/businesses/{b}/appointments/{a}/cancel", "staff", {"notify": False}),
        ("POST", f"/businesses/{b}/conversations/{c}/erase", "staff", None),
        ("POST", f"/businesses/{b}/conversations/{c}/messages", "staff", {"text": "Hi"}),
        ("GET", f"/businesses/{other}", "owner", None),
        ("GET", "/businesses/999999999", "superadmin", None),
    ]


def route(path: str) -> str:
    """The document's path template for a request path."""
    bare = PREFIX + path.split("?")[0]
    for template in spec()["paths"]:
        if re.fullmatch(re.sub(r"\{\w+\}", r"[0-9]+", template), bare):
            return template
    raise KeyError(path)


def problems(method: str, path: str, status: int, body) -> list[str]:
    document = spec()
    responses = document["paths"][route(path)][method.lower()]["responses"]
    documented = responses.get(str(status)) or responses.get("default")
    if documented is None:
        return [f"status {status} is not documented"]
    while "$ref" in documented:  # a shared response, "#/components/responses/..."
        node = document
        for part in documented["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        documented = node
    schema = documented.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return [] if body is None else ["a body where the document has none"]
    # The schema with the document's components beside it, so its "#/components/..." resolve.
    validator = Draft202012Validator({**schema, "components": document["components"]})
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}"
        for e in validator.iter_errors(body)
    ]


def test_every_response_of_a_tour_matches_the_document(api, world):
    found = []
    for method, path, actor, body in tour(world):
        response = api(method, path, actor, **({"json": body} if body is not None else {}))
        for problem in problems(method, path, response.status_code, response.get_json(silent=True)):
            found.append(f"{method} {path} as {actor} → {response.status_code}: {problem}")
    assert not found, "\n".join(found)


def test_the_check_fails_on_an_undocumented_property(api, world):
    """The validation is strict: a property the document does not name is a problem."""
    response = api("GET", "/me", "owner")
    body = {**response.get_json(), "surprise": 1}
    assert any("surprise" in p for p in problems("GET", "/me", 200, body))
    assert problems("GET", "/me", 200, response.get_json()) == []


def writes(world) -> list[tuple[str, str, str, dict | None, dict]]:
    """Writes the tour does not make, with their refusals: (method, path, actor, body, headers)."""
    b, a = world.business_id, world.appointment_id
    past = make_appointment(b, world.customer_id, days_ahead=-1)
    block = make_block(b)
    key = {"Idempotency-Key": "a-booking"}
    services = {"services": [{"name": "Haircut", "duration_minutes": 45, "price": "30.00"}]}
    return [
        ("POST", "/businesses", "superadmin", {"name": "New", "whatsapp_number_id": "5550"}, {}),
        ("POST", "/businesses", "superadmin", {"name": "Twin", "whatsapp_number_id": "5550"}, {}),
        ("POST", "/businesses", "superadmin", {"name": ""}, {}),
        ("PUT", f"/businesses/{b}/services", "owner", services, {}),
        ("PUT", f"/businesses/{b}/services", "owner", {"services": "Haircut"}, {}),
        ("POST", f"/businesses/{b}/appointments", "staff", STAFF_BOOKING, key),
        ("POST", f"/businesses/{b}/appointments", "staff", STAFF_BOOKING, key),
        ("POST", f"/businesses/{b}/appointments", "staff", {**STAFF_BOOKING, "service": 2}, key),
        ("PATCH", f"/businesses/{b}/appointments/{a}", "staff", MOVE, {}),
        ("POST", f"/businesses/{b}/appointments/{past}/no-show", "staff", None, {}),
        ("POST", f"/businesses/{b}/appointments/{a}/no-show", "staff", None, {}),
        ("DELETE", f"/businesses/{b}/blocked-times/{block}", "staff", None, {}),
        ("DELETE", f"/businesses/{b}/blocked-times/{block}", "staff", None, {}),
        ("POST", f"/businesses/{b}/staff", "owner", {"email": "new.staff@example.com"}, {}),
        ("POST", f"/businesses/{b}/staff", "owner", {"email": "new.staff@example.com"}, {}),
        ("DELETE", f"/businesses/{b}/staff/{world.staff2_id}", "owner", None, {}),
        ("POST", "/users", "superadmin", {"email": "someone@example.com"}, {}),
        ("POST", "/users", "superadmin", {"email": "someone@example.com"}, {}),
        ("DELETE", f"/users/{world.target_user_id}", "superadmin", None, {}),
        ("DELETE", f"/users/{world.user_ids['superadmin']}", "superadmin", None, {}),
        ("POST", "/auth/logout", "owner", None, {}),
    ]


def test_writes_and_their_refusals_match_the_document(api, world):
    found = []
    for method, path, actor, body, headers in writes(world):
        sent = {"json": body} if body is not None else {}
        response = api(method, path, actor, headers=headers, **sent)
        for problem in problems(method, path, response.status_code, response.get_json(silent=True)):
            found.append(f"{method} {path} as {actor} → {response.status_code}: {problem}")
    assert not found, "\n".join(found)


def test_a_body_over_the_limit_is_a_documented_413_on_every_route_that_reads_one(api, world):
    ids = {
        "business_id": world.business_id,
        "customer_id": world.customer_id,
        "appointment_id": world.appointment_id,
        "user_id": world.target_user_id,
    }
    found = []
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if "requestBody" not in operation:
                continue
            filled = re.sub(r"\{(\w+)\}", lambda m: str(ids[m[1]]), path).removeprefix(PREFIX)
            response = api(method.upper(), filled, "superadmin", data=b"x" * (4 * 1024 * 1024))
            status = response.status_code
            if status != 413:
                found.append(f"{method.upper()} {path} → {status}, not 413")
            for problem in problems(method, filled, status, response.get_json(silent=True)):
                found.append(f"{method.upper()} {path} → {status}: {problem}")
    assert not found, "\n".join(found)
