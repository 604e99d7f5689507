"""Password rules wherever a password is set: the API (users, staff) and `create-admin`."""

from __future__ import annotations

import pytest

from app.admin.passwords import password_problem
from app.storage import db

EMAIL = "casey.jordan@example.com"
STRONG = "plaid orbit lantern tundra"
REPEATS = 'is too easy to guess: Repeats like "aaa" are easy to guess.'
WEAK = [
    ("password", "is too common"),
    ("12345678", "is too common"),
    ("aaaaaaaa", REPEATS),
    (EMAIL, "is too similar to the email"),
    ("casey.jordan123", "is too similar to the email"),
]


@pytest.mark.parametrize(("password", "reason"), WEAK)
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    assert password_problem(password, EMAIL) == reason


@pytest.mark.parametrize(
    ("password", "email", "name", "reason"),
    [
        ("short", EMAIL, "", "must be a string of 8 to 200 characters"),
        ("x" * 201, EMAIL, "", "must be a string of 8 to 200 characters"),
        (None, EMAIL, "", "must be a string of 8 to 200 characters"),
        ("Casey.Jordan@Example.com!", EMAIL, "", "is too similar to the email"),
        ("kim12345", "kim@example.com", "", "is too similar to the email"),
        ("quintanilla1", "mq@example.com", "Marisol Quintanilla", "is too similar to the name"),
        ("Xk9#" + "a" * 196, EMAIL, "", REPEATS),  # the scored head is weak
        (STRONG, EMAIL, "Casey Jordan", None),
        ("crumpet-vortex-gazebo-" + "q" * 150, EMAIL, "", None),  # only the head is scored
    ],
)
def test_password_rules(password, email, name, reason):
    assert password_problem(password, email, name) == reason


@pytest.mark.parametrize(("password", "reason"), WEAK)
def test_creating_a_user_with_a_weak_password_is_400(api, world, password, reason):
    resp = api("POST", "/users", "superadmin", json={"email": EMAIL, "password": password})
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {"password": reason}
    assert db.fetch_one("SELECT count(*) AS n FROM users WHERE email = %s", (EMAIL,))["n"] == 0


@pytest.mark.parametrize(("password", "reason"), WEAK)
def test_inviting_staff_with_a_weak_password_is_400(api, world, password, reason):
    path = f"/businesses/{world.business_id}/staff"
    resp = api("POST", path, "owner", json={"email": EMAIL, "password": password})
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {"password": reason}


def test_changing_a_password_checks_it_against_the_account(api, world):
    path = f"/users/{world.user_ids['owner']}"
    own_email = api("PATCH", path, "superadmin", json={"password": "owner@example.com"})
    assert own_email.status_code == 400
    assert own_email.get_json()["fields"] == {"password": "is too similar to the email"}
    new_email = api("PATCH", path, "superadmin", json={"email": EMAIL, "password": EMAIL + "!"})
    assert new_email.get_json()["fields"] == {"password": "is too similar to the email"}
    assert api("PATCH", path, "superadmin", json={"password": STRONG}).status_code == 200


def test_a_strong_passphrase_is_accepted_everywhere(api, client, world):
    created = api("POST", "/users", "superadmin", json={"email": EMAIL, "password": STRONG})
    assert created.status_code == 201
    path = f"/businesses/{world.business_id}/staff"
    invited = api("POST", path, "owner", json={"email": "sam@example.com", "password": STRONG})
    assert invited.status_code == 201
    for email in (EMAIL, "sam@example.com"):
        login = {"email": email, "password": STRONG}
        assert client.post("/api/admin/auth/login", json=login).status_code == 200


@pytest.mark.parametrize(("password", "reason"), WEAK)
def test_create_admin_refuses_a_weak_password_in_one_line(app, password, reason):
    app.config["ADMIN_PASSWORD"] = password
    result = app.test_cli_runner().invoke(args=["create-admin", EMAIL])
    assert (result.exit_code, result.output) == (1, f"Error: the password {reason}\n")
    assert db.fetch_one("SELECT count(*) AS n FROM users WHERE email = %s", (EMAIL,))["n"] == 0


def test_create_admin_accepts_a_strong_passphrase(app):
    app.config["ADMIN_PASSWORD"] = STRONG
    result = app.test_cli_runner().invoke(args=["create-admin", EMAIL])
    assert result.exit_code == 0 and result.output.startswith(f"created superadmin {EMAIL}")
