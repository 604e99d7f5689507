"""Staff management by owners and user administration by superadmins."""

from __future__ import annotations

import pytest

from app.storage import db, users
from tests.fixtures_admin import PASSWORD, make_user


def staff_path(world, user_id: int | None = None) -> str:
    base = f"/businesses/{world.business_id}/staff"
    return base if user_id is None else f"{base}/{user_id}"


def log_in(client, email: str, password: str):
    return client.post("/api/admin/auth/login", json={"email": email, "password": password})


def test_owner_invites_staff_with_a_one_time_password(api, client, world):
    resp = api("POST", staff_path(world), json={"email": "New.Person@Example.com", "name": "Nia"})
    assert resp.status_code == 201
    body = resp.get_json()
    assert (body["user"]["email"], body["role"]) == ("new.person@example.com", "staff")
    login = log_in(client, "new.person@example.com", body["password"])
    assert login.status_code == 200
    assert login.get_json()["user"]["memberships"][0]["role"] == "staff"
    members = api("GET", staff_path(world)).get_json()["staff"]
    assert {m["email"]: m["role"] for m in members}["new.person@example.com"] == "staff"


def test_invite_with_a_chosen_password_returns_none(api, client, world):
    body = {"email": "pw@example.com", "password": "a long passphrase"}
    resp = api("POST", staff_path(world), json=body)
    assert resp.status_code == 201 and "password" not in resp.get_json()
    assert log_in(client, "pw@example.com", "a long passphrase").status_code == 200


@pytest.mark.parametrize("actor", ["owner", "superadmin"])
def test_staff_listing_shows_only_what_the_business_needs(api, world, actor):
    target = world.target_user_id
    db.execute(
        "UPDATE users SET name = 'Private Name', created_at = '2020-01-02T03:04:05Z' WHERE id = %s",
        (target,),
    )
    assert api("POST", staff_path(world), json={"email": "target@example.com"}).status_code == 201
    resp = api("GET", staff_path(world), actor)
    assert resp.status_code == 200
    members = {m["id"]: m for m in resp.get_json()["staff"]}
    assert all(set(m) == {"id", "email", "role", "added_at"} for m in members.values())
    assert (members[target]["email"], members[target]["role"]) == ("target@example.com", "staff")
    assert not members[target]["added_at"].startswith("2020")  # joining, not the account's age
    assert members[world.user_ids["owner"]]["role"] == "owner"
    assert "Private Name" not in resp.get_data(as_text=True)


def test_existing_user_joins_without_password_change(api, client, world):
    resp = api("POST", staff_path(world), json={"email": "other@example.com"})
    assert resp.status_code == 201 and "password" not in resp.get_json()
    again = api("POST", staff_path(world), json={"email": "other@example.com"})
    assert again.status_code == 409
    hijack = api(
        "POST", staff_path(world), json={"email": "target@example.com", "password": "x" * 12}
    )
    assert hijack.status_code == 400 and "password" in hijack.get_json()["fields"]
    assert log_in(client, "target@example.com", PASSWORD).status_code == 200


def test_only_superadmin_adds_or_removes_owners(api, world):
    body = {"email": "co-owner@example.com", "role": "owner"}
    assert api("POST", staff_path(world), "owner", json=body).status_code == 403
    assert api("POST", staff_path(world), "superadmin", json=body).status_code == 201
    owner_id = world.user_ids["owner"]
    assert api("DELETE", staff_path(world, owner_id), "owner").status_code == 403
    assert api("DELETE", staff_path(world, owner_id), "superadmin").status_code == 204


def test_removed_staff_loses_access_at_once(api, world):
    assert api("GET", f"/businesses/{world.business_id}", "staff").status_code == 200
    assert api("DELETE", staff_path(world, world.user_ids["staff"])).status_code == 204
    assert api("GET", f"/businesses/{world.business_id}", "staff").status_code == 404
    assert api("DELETE", staff_path(world, world.user_ids["staff"])).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b.co", "role": "admin"}, "role"),
        ({"email": "a@b.co", "password": "short"}, "password"),
        ({"email": "a@b.co", "name": 5}, "name"),
        ({"email": "a@b.co", "is_superadmin": True}, "is_superadmin"),
    ],
)
def test_bad_invites_are_400(api, world, body, field):
    before = db.fetch_one("SELECT count(*) AS n FROM users")["n"]
    resp = api("POST", staff_path(world), json=body)
    assert resp.status_code == 400 and field in resp.get_json()["fields"]
    assert db.fetch_one("SELECT count(*) AS n FROM users")["n"] == before


# Within the address pattern (64 @ 252 . 63), but longer than a login accepts (320).
TOO_LONG_TO_SIGN_IN = "a" * 64 + "@" + "b" * 252 + ".com"


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/users"), ("PATCH", "/users/{user}"), ("POST", "/businesses/{business}/staff")],
)
def test_an_email_too_long_to_sign_in_with_is_400(api, world, method, path):
    """An account is made only with an email its holder can sign in with."""
    url = path.format(user=world.target_user_id, business=world.business_id)
    before = db.fetch_all("SELECT id, email FROM users ORDER BY id")
    resp = api(method, url, "superadmin", json={"email": TOO_LONG_TO_SIGN_IN})
    assert resp.status_code == 400 and "email" in resp.get_json()["fields"], resp.get_json()
    assert db.fetch_all("SELECT id, email FROM users ORDER BY id") == before


def test_superadmin_manages_users(api, client, world):
    created = api(
        "POST", "/users", "superadmin", json={"email": "ops@example.com", "is_superadmin": True}
    )
    assert created.status_code == 201
    user = created.get_json()["user"]
    assert user["is_superadmin"] is True
    assert api("POST", "/users", "superadmin", json={"email": "OPS@example.com"}).status_code == 400
    listed = {u["email"] for u in api("GET", "/users", "superadmin").get_json()["users"]}
    assert "ops@example.com" in listed
    patched = api(
        "PATCH", f"/users/{user['id']}", "superadmin", json={"is_superadmin": False, "name": "Ops"}
    )
    assert patched.get_json()["is_superadmin"] is False and patched.get_json()["name"] == "Ops"
    assert api("DELETE", f"/users/{user['id']}", "superadmin").status_code == 204
    assert api("PATCH", f"/users/{user['id']}", "superadmin", json={"name": "x"}).status_code == 404


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_email_taken_after_the_check_is_the_documented_400(api, world, monkeypatch, method):
    """Another request creates a user with the email between the check and the write: the
    answer is the 400 naming `email` that the check gives, and nothing changes."""
    found = users.find_by_email

    def created_meanwhile(email):
        row = found(email)
        if row is None:
            make_user(email)
        return row

    monkeypatch.setattr(users, "find_by_email", created_meanwhile)
    before = db.fetch_one("SELECT email FROM users WHERE id = %s", (world.target_user_id,))
    if method == "POST":
        resp = api("POST", "/users", "superadmin", json={"email": "twice@example.com"})
    else:
        path = f"/users/{world.target_user_id}"
        resp = api("PATCH", path, "superadmin", json={"email": "twice@example.com"})
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["fields"] == {"email": "a user with this email exists already"}
    assert (
        db.fetch_one("SELECT count(*) AS n FROM users WHERE email = 'twice@example.com'")["n"] == 1
    )
    after = db.fetch_one("SELECT email FROM users WHERE id = %s", (world.target_user_id,))
    assert after == before


def test_new_password_revokes_old_sessions(api, client, world):
    new = "velvet canyon harbor 42"
    resp = api("PATCH", f"/users/{world.user_ids['owner']}", "superadmin", json={"password": new})
    assert resp.status_code == 200
    assert api("GET", "/me", "owner").status_code == 401
    assert log_in(client, "owner@example.com", PASSWORD).status_code == 401
    assert log_in(client, "owner@example.com", new).status_code == 200


@pytest.mark.parametrize("body", [{"active": False}, {"is_superadmin": False}])
def test_superadmin_cannot_lock_themselves_out(api, world, body):
    resp = api("PATCH", f"/users/{world.user_ids['superadmin']}", "superadmin", json=body)
    assert resp.status_code == 400
    assert api("DELETE", f"/users/{world.user_ids['superadmin']}", "superadmin").status_code == 409


def test_user_listing_never_shows_password_hashes(api, world):
    for path in ("/users", f"/businesses/{world.business_id}/staff", "/me"):
        text = api("GET", path, "superadmin").get_data(as_text=True)
        # GET /me and GET /users name one flag about the password (never the password itself).
        text = text.replace('"password_change_required"', "")
        assert "scrypt" not in text and "password" not in text


def test_create_admin_command_is_idempotent(app, client):
    runner = app.test_cli_runner()
    app.config["ADMIN_PASSWORD"] = "first password"
    assert "created" in runner.invoke(args=["create-admin", "Boss@Example.com"]).output
    app.config["ADMIN_PASSWORD"] = "second password"
    assert "updated" in runner.invoke(args=["create-admin", "boss@example.com"]).output
    rows = db.fetch_all("SELECT is_superadmin FROM users WHERE lower(email) = 'boss@example.com'")
    assert rows == [{"is_superadmin": True}]
    assert log_in(client, "boss@example.com", "first password").status_code == 401
    assert log_in(client, "boss@example.com", "second password").status_code == 200
