"""Fixtures for the admin API: two tenants, one user per role, a conversation, an appointment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cache

import pytest
from psycopg.types.json import Jsonb

from app.storage import businesses, users
from app.storage.db import fetch_one, transaction

PASSWORD = "correct horse battery staple"
ACTORS = ("anonymous", "staff", "other_owner", "owner", "superadmin")


@cache
def password_hash() -> str:
    """One scrypt hash of PASSWORD for every fixture user (hashing is deliberately slow)."""
    from app.admin.auth import hash_password

    return hash_password(PASSWORD)


@dataclass
class World:
    """Ids and tokens of the fixture tenants and users."""

    business_id: int
    other_business_id: int
    customer_id: int
    appointment_id: int
    staff2_id: int
    target_user_id: int
    user_ids: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, actor: str) -> dict[str, str]:
        """The Authorization header of an actor (none for anonymous)."""
        token = self.tokens.get(actor)
        return {"Authorization": f"Bearer {token}"} if token else {}


def make_user(email: str, superadmin: bool = False) -> int:
    """Insert a user with PASSWORD; return the id."""
    with transaction() as conn:
        return users.create_user(conn, email, email.split("@")[0], password_hash(), superadmin)[
            "id"
        ]


def add_member(user_id: int, business_id: int, role: str) -> None:
    """Give a user a role in a business."""
    with transaction() as conn:
        users.add_membership(conn, user_id, business_id, role)


def make_conversation(business_id: int, wa_id: str = "34600111222", name: str = "Alex") -> int:
    """A customer with one inbound message and one answered reply (with a tool call)."""
    with transaction() as conn:
        cid = conn.execute(
            "INSERT INTO customers (business_id, address, profile_name, last_inbound_at)"
            " VALUES (%s, %s, %s, now())"
            " RETURNING id",
            (business_id, wa_id, name),
        ).fetchone()["id"]
        turn = conn.execute(
            "INSERT INTO turns (business_id, customer_id, status, tool_calls) VALUES"
            " (%s, %s, 'answered', %s) RETURNING id",
            (business_id, cid, Jsonb([{"name": "list_services", "args": {}}])),
        ).fetchone()["id"]
        conn.execute(
            "INSERT INTO messages (business_id, customer_id, direction, body, status, external_id,"
            " turn_id) VALUES (%s, %s, 'in', 'hi there', 'processed', %s, %s)",
            (business_id, cid, f"wamid.in.{uuid.uuid4().hex}", turn),
        )
        conn.execute(
            "INSERT INTO messages (business_id, customer_id, direction, body, status, external_id,"
            " turn_id) VALUES (%s, %s, 'out', 'Hello! How can I help?', 'read', %s, %s)",
            (business_id, cid, f"wamid.out.{uuid.uuid4().hex}", turn),
        )
    return cid


def make_appointment(business_id: int, customer_id: int, days_ahead: int = 3) -> int:
    """A booked Haircut at 08:00 in the business's timezone, `days_ahead` of its local days
    from today (upcoming when positive, begun when negative).

    08:00 is before the demo salon opens (09:00, Saturdays 10:00): the tests' own bookings and
    blocks, all in opening hours, never share a seat or a window with it, whatever hour and
    day the tests run at. (At the current hour it took the second seat of a time a test filled,
    or fell inside the day a test blocked, when that day was `days_ahead` days away.)
    """
    row = fetch_one(
        "INSERT INTO appointments (business_id, customer_id, service_id, starts_at, ends_at,"
        " idempotency_key) SELECT %(b)s, %(c)s, s.id, t.start, t.start + interval '30 minutes',"
        " %(key)s FROM services s JOIN businesses b ON b.id = s.business_id,"
        " LATERAL (SELECT ((now() AT TIME ZONE b.timezone)::date + %(d)s + time '08:00')"
        " AT TIME ZONE b.timezone AS start) t"
        " WHERE s.business_id = %(b)s AND s.name = 'Haircut' RETURNING id",
        {"b": business_id, "c": customer_id, "d": days_ahead, "key": uuid.uuid4().hex},
    )
    return row["id"]


def make_block(business_id: int, days_ahead: int = 300) -> int:
    """A two-hour blocked time `days_ahead` days from now (beyond the demo's horizon)."""
    row = fetch_one(
        "INSERT INTO blocked_times (business_id, starts_at, ends_at, reason)"
        " SELECT %(b)s, t, t + interval '2 hours', 'Closed for a day'"
        " FROM (SELECT date_trunc('hour', now()) + make_interval(days => %(d)s) AS t) x"
        " RETURNING id",
        {"b": business_id, "d": days_ahead},
    )
    return row["id"]


@pytest.fixture
def world(app) -> World:
    """Demo Salon (owner, staff, a second staff member) and another tenant with its owner."""
    business_id = businesses.business_id_for_account("whatsapp_number_id", "123456123")
    other = businesses.create_business(
        {"name": "Other Studio", "whatsapp_number_id": "999000999", "timezone": "UTC"},
        [{"name": "Massage", "duration_minutes": 60}],
    )
    emails = {
        "superadmin": "root@example.com",
        "owner": "owner@example.com",
        "staff": "staff@example.com",
        "other_owner": "other@example.com",
    }
    ids = {role: make_user(email, role == "superadmin") for role, email in emails.items()}
    add_member(ids["owner"], business_id, "owner")
    add_member(ids["staff"], business_id, "staff")
    add_member(ids["other_owner"], other, "owner")
    staff2 = make_user("staff2@example.com")
    add_member(staff2, business_id, "staff")
    customer_id = make_conversation(business_id)
    tokens = {role: users.issue_token(uid, 1)[0] for role, uid in ids.items()}
    return World(
        business_id=business_id,
        other_business_id=other,
        customer_id=customer_id,
        appointment_id=make_appointment(business_id, customer_id),
        staff2_id=staff2,
        target_user_id=make_user("target@example.com"),
        user_ids=ids,
        emails=emails,
        tokens=tokens,
    )


@pytest.fixture
def api(client, world):
    """Call the admin API as an actor: api("GET", "/businesses", "owner", json=...)."""

    def call(method: str, path: str, actor: str = "owner", **kwargs):
        headers = {**world.headers(actor), **kwargs.pop("headers", {})}
        return client.open("/api/admin" + path, method=method, headers=headers, **kwargs)

    return call


def audit_count() -> int:
    """Rows in the audit log."""
    return fetch_one("SELECT count(*) AS n FROM audit_log")["n"]
