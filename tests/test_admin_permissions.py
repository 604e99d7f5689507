"""The permission matrix: every admin endpoint × every kind of caller, from one table."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fake_site import FakeSite, page
from tests.fixtures_admin import ACTORS, PASSWORD, audit_count, make_appointment, make_block
from tests.test_agent_conversations import at, upcoming

PREFIX = "/api/admin"
B = "/businesses/<int:business_id>"


def signed_in(ok: int) -> dict[str, int]:
    """Any valid token."""
    return {"anonymous": 401, "staff": ok, "other_owner": ok, "owner": ok, "superadmin": ok}


def member(ok: int) -> dict[str, int]:
    """Staff and owners of the business, and superadmins; other tenants see nothing (404)."""
    return {"anonymous": 401, "staff": ok, "other_owner": 404, "owner": ok, "superadmin": ok}


def owner(ok: int) -> dict[str, int]:
    """Owners of the business and superadmins; its staff may see it but not do this (403)."""
    return {"anonymous": 401, "staff": 403, "other_owner": 404, "owner": ok, "superadmin": ok}


def superadmin(ok: int) -> dict[str, int]:
    """Superadmins only."""
    return {"anonymous": 401, "staff": 403, "other_owner": 403, "owner": 403, "superadmin": ok}


def public(ok: int) -> dict[str, int]:
    """No token needed."""
    return dict.fromkeys(ACTORS, ok)


@dataclass(frozen=True)
class Endpoint:
    """One route: its Flask rule, a request that succeeds for allowed callers, and the matrix."""

    method: str
    rule: str
    expected: dict[str, int]
    body: dict | None = None
    user: str = "target"  # whose id fills <user_id>: "target" (no memberships) or "staff2"
    # Rows this request needs besides the fixture's: {path parameter: id of a row it creates}.
    prepare: Callable[[object], dict[str, int]] | None = None
    query: str = ""  # a query string the request needs

    def path(self, w) -> str:
        """The rule with the fixture's ids filled in."""
        ids = {
            "business_id": w.business_id,
            "customer_id": w.customer_id,
            "appointment_id": w.appointment_id,
            "user_id": w.staff2_id if self.user == "staff2" else w.target_user_id,
            **(self.prepare(w) if self.prepare else {}),
        }
        return re.sub(r"<int:(\w+)>", lambda m: str(ids[m.group(1)]), self.rule) + self.query


LOGIN = {"email": "owner@example.com", "password": PASSWORD}
NEW_PASSWORD = {"current_password": PASSWORD, "new_password": "quartz lantern meadow 57"}
SITE = "<the test website>"  # replaced by the `website` fixture's address
SERVICES = {"services": [{"name": "Haircut", "duration_minutes": 45, "price": "30.00"}]}
# Free times of the demo salon (Madrid): a Tuesday at 10:00, and a Wednesday at 11:00.
STAFF_BOOKING = {
    "service": "Haircut",
    "starts_at": at(upcoming(1), "10:00").isoformat(),
    "customer_name": "Walk-in Wanda",
}
MOVE = {"starts_at": at(upcoming(2), "11:00").isoformat()}
BLOCK = {
    "starts_at": at(upcoming(3), "10:00").isoformat(),
    "ends_at": at(upcoming(3), "12:00").isoformat(),
    "reason": "Training",
}


def started(w) -> dict[str, int]:
    """An appointment of the fixture's customer that began yesterday (one can be a no-show)."""
    return {"appointment_id": make_appointment(w.business_id, w.customer_id, days_ahead=-1)}


def a_block(w) -> dict[str, int]:
    """A blocked time of the fixture's business."""
    return {"block_id": make_block(w.business_id)}


ENDPOINTS = [
    Endpoint("POST", "/auth/login", public(200), LOGIN),
    Endpoint("POST", "/auth/logout", signed_in(204)),
    Endpoint("POST", "/auth/password", signed_in(204), NEW_PASSWORD),
    Endpoint("GET", "/me", signed_in(200)),
    Endpoint("GET", "/openapi.json", public(200)),
    Endpoint("GET", "/businesses", signed_in(200)),
    Endpoint("POST", "/businesses", superadmin(201), {"name": "New", "whatsapp_number_id": "5550"}),
    Endpoint("GET", B, member(200)),
    Endpoint("PATCH", B, owner(200), {"personality": "Cheerful and brief."}),
    Endpoint("PUT", B + "/services", owner(200), SERVICES),
    Endpoint("GET", B + "/prompt-preview", owner(200)),
    Endpoint("GET", B + "/reference-document", member(200)),
    Endpoint("PUT", B + "/reference-document", owner(200), {"content": "- Free parking."}),
    Endpoint("GET", B + "/reference-document/versions", member(200)),
    Endpoint("POST", B + "/reference-document/import", owner(201), {"url": SITE}),
    Endpoint("GET", B + "/usage", owner(200)),
    Endpoint("GET", B + "/conversations", member(200)),
    Endpoint("GET", B + "/conversations/<int:customer_id>", member(200)),
    Endpoint("POST", B + "/conversations/<int:customer_id>/pause", member(200)),
    Endpoint("POST", B + "/conversations/<int:customer_id>/resume", member(200)),
    Endpoint("POST", B + "/conversations/<int:customer_id>/erase", member(200)),
    Endpoint("GET", B + "/conversations/<int:customer_id>/export", member(200)),
    Endpoint("POST", B + "/conversations/<int:customer_id>/messages", member(201), {"text": "Hi!"}),
    Endpoint("GET", B + "/appointments", member(200)),
    Endpoint("GET", B + "/appointments/<int:appointment_id>", member(200)),
    Endpoint(
        "PUT", B + "/appointments/<int:appointment_id>/reminders", member(200), {"enabled": False}
    ),
    Endpoint("PUT", B + "/customers/<int:customer_id>/reminders", member(200), {"enabled": False}),
    Endpoint("POST", B + "/appointments/<int:appointment_id>/cancel", member(200)),
    Endpoint("POST", B + "/appointments", member(201), STAFF_BOOKING),
    Endpoint("GET", B + "/appointments/<int:appointment_id>", member(200)),
    Endpoint("PATCH", B + "/appointments/<int:appointment_id>", member(200), MOVE),
    Endpoint(
        "POST", B + "/appointments/<int:appointment_id>/no-show", member(200), prepare=started
    ),
    Endpoint("GET", B + "/blocked-times", member(200)),
    Endpoint("POST", B + "/blocked-times", member(201), BLOCK),
    Endpoint("DELETE", B + "/blocked-times/<int:block_id>", member(204), prepare=a_block),
    Endpoint("GET", B + "/overview", member(200)),
    Endpoint("GET", B + "/calendar", member(200)),
    Endpoint(
        "PUT", B + "/appointments/<int:appointment_id>/reminders", member(200), {"enabled": False}
    ),
    Endpoint("PUT", B + "/customers/<int:customer_id>/reminders", member(200), {"enabled": False}),
    Endpoint("GET", B + "/slots", member(200), query="?service=Haircut&date=2030-01-01"),
    Endpoint("GET", B + "/staff", owner(200)),
    Endpoint("POST", B + "/staff", owner(201), {"email": "new.staff@example.com", "name": "N"}),
    Endpoint("DELETE", B + "/staff/<int:user_id>", owner(204), user="staff2"),
    Endpoint("GET", B + "/audit", owner(200)),
    Endpoint("GET", B + "/sandbox/messages", member(200)),
    Endpoint("POST", B + "/sandbox/messages", member(200), {"text": "hello"}),
    Endpoint("DELETE", B + "/sandbox", member(204)),
    Endpoint("GET", "/audit", superadmin(200)),
    Endpoint("GET", "/llm-breakers", superadmin(200)),
    Endpoint("GET", "/users", superadmin(200)),
    Endpoint("POST", "/users", superadmin(201), {"email": "new.user@example.com"}),
    Endpoint("PATCH", "/users/<int:user_id>", superadmin(200), {"name": "Renamed"}),
    Endpoint("DELETE", "/users/<int:user_id>", superadmin(204)),
]
CASES = [
    pytest.param(ep, actor, id=f"{ep.method} {ep.rule} as {actor}")
    for ep in ENDPOINTS
    for actor in ACTORS
]


def admin_routes(app) -> set[tuple[str, str]]:
    """(method, rule) of every admin route registered on the app."""
    return {
        (method, rule.rule[len(PREFIX) :])
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_table_covers_every_admin_route(app):
    assert {(ep.method, ep.rule) for ep in ENDPOINTS} == admin_routes(app)


@pytest.fixture
def website(app):
    """A one-page website the app may import (its origin is allowed past the address guard)."""
    site = FakeSite({"/": page("<main><p>Free parking behind the salon, every day.</p></main>")})
    app.config["WEBSITE_IMPORT_ALLOWED_HOSTS"] = frozenset({("127.0.0.1", site.port)})
    app.config["WEBSITE_IMPORT_PROXIES"] = {}
    yield site.origin + "/"
    site.stop()


@pytest.mark.parametrize(("endpoint", "actor"), CASES)
def test_permission(api, world, website, endpoint, actor):
    before = audit_count()
    body = {k: website if v == SITE else v for k, v in (endpoint.body or {}).items()} or None
    resp = api(endpoint.method, endpoint.path(world), actor, json=body)
    assert resp.status_code == endpoint.expected[actor], resp.get_json()
    if resp.status_code >= 400:
        body = resp.get_json()
        assert set(body) >= {"error", "message"}
        # A refused request changes nothing.
        assert audit_count() == before


def test_other_owner_sees_its_own_business(api, world):
    resp = api("GET", f"/businesses/{world.other_business_id}", "other_owner")
    assert resp.status_code == 200
    assert resp.get_json()["name"] == "Other Studio"


def test_business_list_is_scoped_to_memberships(api, world):
    names = {
        actor: {b["name"] for b in api("GET", "/businesses", actor).get_json()["businesses"]}
        for actor in ("staff", "other_owner", "superadmin")
    }
    assert names == {
        "staff": {"Demo Salon"},
        "other_owner": {"Other Studio"},
        "superadmin": {"Demo Salon", "Other Studio"},
    }


def test_unknown_business_is_404_for_superadmin_too(api):
    assert api("GET", "/businesses/987654", "superadmin").status_code == 404


def test_other_tenants_customer_is_404(api, world):
    from tests.fixtures_admin import make_conversation

    foreign = make_conversation(world.other_business_id, wa_id="4411")
    path = f"/businesses/{world.business_id}/conversations/{foreign}"
    assert api("GET", path, "owner").status_code == 404
    assert api("POST", path + "/pause", "owner").status_code == 404
    assert api("POST", path + "/messages", "owner", json={"text": "hi"}).status_code == 404


def render_matrix() -> str:
    """The permission matrix as the markdown table quoted in ROLE_SYSTEM.md."""
    lines = [
        "| endpoint | " + " | ".join(ACTORS) + " |",
        "|---|" + "---|" * len(ACTORS),
    ]
    for ep in ENDPOINTS:
        rule = re.sub(r"<int:(\w+)>", r"{\1}", ep.rule)
        cells = " | ".join(str(ep.expected[a]) for a in ACTORS)
        lines.append(f"| `{ep.method} {rule}` | {cells} |")
    return "\n".join(lines)


def test_role_system_doc_quotes_this_matrix():
    doc = Path(__file__).resolve().parent.parent / "ROLE_SYSTEM.md"
    assert render_matrix() in doc.read_text(encoding="utf-8")
