"""Passwords set by someone else (an owner adding staff, a superadmin) must be replaced by their
holder: `users.password_chosen`, the forced change, POST /auth/password, and the 409
account_not_claimed that keeps an owner's known password from opening another business."""

from __future__ import annotations

import pytest

from app.storage import db
from tests.fixtures_admin import PASSWORD, audit_count

NEW = "quartz lantern meadow 57"
OTHER = "velvet canyon harbor 42"
EMAIL = "fresh.stylist@example.com"


def log_in(client, email: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        "/api/admin/auth/login",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def chosen(email: str) -> bool:
    row = db.fetch_one("SELECT password_chosen FROM users WHERE email = %s", (email,))
    return row["password_chosen"]


def add_staff(api, world, body: dict, actor: str = "owner", business_id: int | None = None):
    business_id = business_id or world.business_id
    return api("POST", f"/businesses/{business_id}/staff", actor, json=body)


def change(client, token: str, current: str, new: str, ip: str = "10.0.0.1"):
    return client.post(
        "/api/admin/auth/password",
        json={"current_password": current, "new_password": new},
        headers=bearer(token),
        environ_base={"REMOTE_ADDR": ip},
    )


@pytest.fixture
def newcomer(api, client, world):
    """An account the owner created (with a password they typed) and a token of its holder."""
    assert add_staff(api, world, {"email": EMAIL, "password": OTHER}).status_code == 201
    resp = log_in(client, EMAIL, OTHER)
    assert resp.status_code == 200
    return resp.get_json()["token"]


# --- who sets the flag ------------------------------------------------------------------------


def test_existing_accounts_count_as_chosen(api, world):
    # The column's default: accounts from before 0036 (and the fixtures') are not forced.
    assert chosen("owner@example.com")
    assert api("GET", "/me", "owner").get_json()["password_change_required"] is False


@pytest.mark.parametrize("body", [{"email": EMAIL}, {"email": EMAIL, "password": OTHER}])
def test_an_owner_created_account_must_choose_its_password(api, client, world, body):
    resp = add_staff(api, world, body)
    assert resp.status_code == 201
    assert not chosen(EMAIL)
    login = log_in(client, EMAIL, body.get("password") or resp.get_json()["password"])
    assert login.status_code == 200  # signing in works: it is how the holder gets to choose
    assert login.get_json()["user"]["password_change_required"] is True


@pytest.mark.parametrize("body", [{"email": EMAIL}, {"email": EMAIL, "password": OTHER}])
def test_a_superadmin_created_account_must_choose_its_password(api, world, body):
    assert api("POST", "/users", "superadmin", json=body).status_code == 201
    assert not chosen(EMAIL)


def test_a_superadmin_setting_anothers_password_makes_them_choose(api, client, world):
    path = f"/users/{world.user_ids['owner']}"
    assert api("PATCH", path, "superadmin", json={"password": OTHER}).status_code == 200
    assert not chosen("owner@example.com")
    token = log_in(client, "owner@example.com", OTHER).get_json()["token"]
    assert client.get("/api/admin/me", headers=bearer(token)).get_json()["password_change_required"]
    # Other changes leave the flag alone.
    assert api("PATCH", path, "superadmin", json={"name": "Olive"}).status_code == 200
    assert not chosen("owner@example.com")


def test_a_superadmin_setting_their_own_password_chose_it(api, world):
    path = f"/users/{world.user_ids['superadmin']}"
    assert api("PATCH", path, "superadmin", json={"password": OTHER}).status_code == 200
    assert chosen("root@example.com")


def test_create_admin_sets_a_chosen_password(app, api, world):
    assert add_staff(api, world, {"email": EMAIL, "password": OTHER}).status_code == 201
    app.config["ADMIN_PASSWORD"] = NEW
    result = app.test_cli_runner().invoke(args=["create-admin", EMAIL])
    assert result.exit_code == 0, result.output
    assert chosen(EMAIL)


# --- the forced change ------------------------------------------------------------------------


def test_until_it_chooses_the_account_may_do_nothing_else(api, client, world, newcomer):
    b = world.business_id
    me = client.get("/api/admin/me", headers=bearer(newcomer))
    assert me.status_code == 200
    assert me.get_json()["password_change_required"] is True
    assert me.get_json()["memberships"][0]["business_id"] == b
    before = audit_count()
    for method, path in [
        ("GET", "/businesses"),
        ("GET", f"/businesses/{b}"),
        ("GET", f"/businesses/{b}/conversations"),
        ("POST", f"/businesses/{b}/conversations/{world.customer_id}/pause"),
        ("GET", f"/businesses/{world.other_business_id}"),
        ("GET", "/users"),
    ]:
        resp = client.open("/api/admin" + path, method=method, headers=bearer(newcomer))
        assert resp.status_code == 403, (method, path)
        body = resp.get_json()
        assert body["reason"] == "password_change_required", (method, path)
        assert set(body) == {"error", "message", "reason"}
    assert audit_count() == before
    # The public routes stay public.
    assert client.get("/api/admin/openapi.json", headers=bearer(newcomer)).status_code == 200


def test_logout_is_allowed_before_choosing(client, world, newcomer):
    assert client.post("/api/admin/auth/logout", headers=bearer(newcomer)).status_code == 204
    assert client.get("/api/admin/me", headers=bearer(newcomer)).status_code == 401


def test_choosing_a_password_opens_the_console(api, client, world, newcomer):
    assert change(client, newcomer, OTHER, NEW).status_code == 204
    assert chosen(EMAIL)
    me = client.get("/api/admin/me", headers=bearer(newcomer)).get_json()
    assert me["password_change_required"] is False
    business = client.get(f"/api/admin/businesses/{world.business_id}", headers=bearer(newcomer))
    assert business.status_code == 200
    # The password the owner typed is gone; the holder's own works.
    assert log_in(client, EMAIL, OTHER).status_code == 401
    assert log_in(client, EMAIL, NEW).status_code == 200


# --- POST /auth/password ------------------------------------------------------------------------


def test_every_signed_in_user_may_change_their_password(api, client, world):
    token = log_in(client, "staff@example.com", PASSWORD).get_json()["token"]
    assert change(client, token, PASSWORD, NEW).status_code == 204
    assert chosen("staff@example.com")
    assert log_in(client, "staff@example.com", NEW).status_code == 200


def test_other_tokens_are_revoked_and_the_current_one_kept(api, client, world):
    email = "owner@example.com"
    first = log_in(client, email, PASSWORD).get_json()["token"]
    second = log_in(client, email, PASSWORD).get_json()["token"]
    assert change(client, first, PASSWORD, NEW).status_code == 204
    assert client.get("/api/admin/me", headers=bearer(first)).status_code == 200
    assert client.get("/api/admin/me", headers=bearer(second)).status_code == 401
    assert api("GET", "/me", "owner").status_code == 401  # the fixture's token too
    # Other users' tokens are untouched.
    assert api("GET", "/me", "staff").status_code == 200


def test_the_change_is_audited_without_the_password(api, client, world):
    token = log_in(client, "staff@example.com", PASSWORD).get_json()["token"]
    before = audit_count()
    assert change(client, token, PASSWORD, NEW).status_code == 204
    assert audit_count() == before + 1
    row = db.fetch_one("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (row["action"], row["entity"], row["entity_id"]) == (
        "update",
        "user",
        str(world.user_ids["staff"]),
    )
    assert row["user_id"] == world.user_ids["staff"] and row["business_id"] is None
    assert row["before"] is None
    assert row["after"] == {"password_changed": True, "password_chosen": True, "by": "self"}
    dumped = str(row)
    assert NEW not in dumped and PASSWORD not in dumped and "scrypt:" not in dumped


def test_a_wrong_current_password_is_a_field_error(api, client, world):
    token = log_in(client, "staff@example.com", PASSWORD).get_json()["token"]
    before = audit_count()
    resp = change(client, token, "not my password", NEW)
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {"current_password": "is not your current password"}
    assert audit_count() == before
    assert log_in(client, "staff@example.com", PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ("short", "must be a string of 8 to 200 characters"),
        ("password123", "is too common"),
        ("staff@example.com!", "is too similar to the email"),
        (None, "must be a string of 8 to 200 characters"),
        (PASSWORD, "must differ from the current password"),
    ],
)
def test_a_weak_new_password_is_a_field_error(api, client, world, new, reason):
    token = log_in(client, "staff@example.com", PASSWORD).get_json()["token"]
    resp = change(client, token, PASSWORD, new)
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {"new_password": reason}
    assert log_in(client, "staff@example.com", PASSWORD).status_code == 200


def test_the_owner_typed_password_cannot_be_kept(client, world, newcomer):
    resp = change(client, newcomer, OTHER, OTHER)
    assert resp.get_json()["fields"] == {"new_password": "must differ from the current password"}
    assert not chosen(EMAIL)


@pytest.mark.parametrize(
    "body",
    [{}, {"current_password": PASSWORD}, {"new_password": NEW, "current_password": ""}],
)
def test_malformed_changes_are_400(client, world, body):
    token = log_in(client, "staff@example.com", PASSWORD).get_json()["token"]
    resp = client.post("/api/admin/auth/password", json=body, headers=bearer(token))
    assert resp.status_code == 400 and resp.get_json()["fields"]
    unknown = client.post(
        "/api/admin/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW, "extra": 1},
        headers=bearer(token),
    )
    assert unknown.get_json()["fields"] == {"extra": "unknown field"}


def test_anonymous_callers_are_401(client, world):
    resp = client.post(
        "/api/admin/auth/password", json={"current_password": PASSWORD, "new_password": NEW}
    )
    assert resp.status_code == 401


def test_guessing_the_current_password_is_throttled_like_logins(app, client, world):
    token = log_in(client, "staff@example.com", PASSWORD).get_json()["token"]
    limit = app.config["ADMIN_LOGIN_MAX_FAILURES_PER_EMAIL"]
    for i in range(limit):
        assert change(client, token, f"guess {i}", NEW).status_code == 400
    # Even the right password is refused now, with the login's 429, and so is a login.
    resp = change(client, token, PASSWORD, NEW)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert resp.get_json()["retry_after"] > 0
    assert log_in(client, "staff@example.com", PASSWORD).status_code == 429


def test_login_failures_count_against_the_change_too(app, client, world):
    token = log_in(client, "staff@example.com", PASSWORD).get_json()["token"]
    for i in range(app.config["ADMIN_LOGIN_MAX_FAILURES_PER_EMAIL"]):
        assert log_in(client, "staff@example.com", f"guess {i}").status_code == 401
    assert change(client, token, PASSWORD, NEW).status_code == 429


def test_a_right_current_password_clears_the_failures(app, client, world):
    token = log_in(client, "staff@example.com", PASSWORD).get_json()["token"]
    for i in range(app.config["ADMIN_LOGIN_MAX_FAILURES_PER_EMAIL"] - 1):
        assert change(client, token, f"guess {i}", NEW).status_code == 400
    assert change(client, token, PASSWORD, NEW).status_code == 204
    assert db.fetch_one("SELECT count(*) AS n FROM login_failures")["n"] == 0


# --- 409 account_not_claimed --------------------------------------------------------------------


def test_an_unclaimed_account_cannot_join_another_business(api, world):
    assert add_staff(api, world, {"email": EMAIL}).status_code == 201
    before = audit_count()
    resp = add_staff(api, world, {"email": EMAIL}, "other_owner", world.other_business_id)
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["reason"] == "account_not_claimed"
    assert "choose" in body["message"]
    assert audit_count() == before
    staff = api("GET", f"/businesses/{world.other_business_id}/staff", "other_owner").get_json()
    assert EMAIL not in {m["email"] for m in staff["staff"]}


def test_readding_a_member_is_refused_with_its_own_reason(api, world):
    assert add_staff(api, world, {"email": EMAIL}).status_code == 201
    before = audit_count()
    resp = add_staff(api, world, {"email": EMAIL})
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["reason"] == "already_member"
    assert body["message"] == "this user already belongs to the business"
    assert audit_count() == before


def test_a_superadmin_may_add_an_unclaimed_account(api, client, world):
    assert add_staff(api, world, {"email": EMAIL, "password": OTHER}).status_code == 201
    resp = add_staff(api, world, {"email": EMAIL}, "superadmin", world.other_business_id)
    assert resp.status_code == 201
    # Its holder still has to choose a password before reaching either business.
    token = log_in(client, EMAIL, OTHER).get_json()["token"]
    path = f"/api/admin/businesses/{world.other_business_id}"
    assert client.get(path, headers=bearer(token)).get_json()["reason"] == (
        "password_change_required"
    )


def test_a_claimed_account_joins_like_any_existing_one(api, client, world, newcomer):
    assert change(client, newcomer, OTHER, NEW).status_code == 204
    resp = add_staff(api, world, {"email": EMAIL}, "other_owner", world.other_business_id)
    assert resp.status_code == 201 and "password" not in resp.get_json()


# --- the reviewer's scenario: an owner's known password and another business --------------------


def test_owner_cannot_use_a_generated_password_inside_another_business(api, client, world):
    a, b = world.business_id, world.other_business_id
    email = "freelance.stylist@example.com"
    created = api("POST", f"/businesses/{a}/staff", "owner", json={"email": email})
    assert created.status_code == 201
    known_password = created.get_json()["password"]
    uid = created.get_json()["user"]["id"]
    # A's owner drops the membership at once: the account stays, with no trace in A.
    assert api("DELETE", f"/businesses/{a}/staff/{uid}", "owner").status_code == 204

    # B cannot add the account while its password is the one A's owner was handed.
    refused = api("POST", f"/businesses/{b}/staff", "other_owner", json={"email": email})
    assert refused.status_code == 409
    assert refused.get_json()["reason"] == "account_not_claimed"
    # Signing in with it reaches nothing (and no business B membership exists anyway).
    token = log_in(client, email, known_password).get_json()["token"]
    convs = client.get(f"/api/admin/businesses/{b}/conversations", headers=bearer(token))
    assert convs.status_code == 403

    # The person signs in (say A's owner told them the password), chooses their own, then B
    # adds them: A's owner's password no longer opens anything.
    holder = log_in(client, email, known_password).get_json()["token"]
    assert change(client, holder, known_password, NEW).status_code == 204
    added = api("POST", f"/businesses/{b}/staff", "other_owner", json={"email": email})
    assert added.status_code == 201 and "password" not in added.get_json()
    assert log_in(client, email, known_password).status_code == 401
    # The token A's owner obtained earlier was revoked with the change.
    convs = client.get(f"/api/admin/businesses/{b}/conversations", headers=bearer(token))
    assert convs.status_code == 401
    mine = client.get(f"/api/admin/businesses/{b}/conversations", headers=bearer(holder))
    assert mine.status_code == 200


def test_owner_chosen_password_does_not_open_another_business(api, client, world):
    a, b = world.business_id, world.other_business_id
    email = "shared.receptionist@example.com"
    typed = "violet-harbour-lantern-93"
    body = {"email": email, "password": typed}
    assert api("POST", f"/businesses/{a}/staff", "owner", json=body).status_code == 201
    refused = api("POST", f"/businesses/{b}/staff", "other_owner", json={"email": email})
    assert refused.status_code == 409
    token = log_in(client, email, typed).get_json()["token"]
    assert client.get(f"/api/admin/businesses/{b}", headers=bearer(token)).status_code == 403
    assert client.get(f"/api/admin/businesses/{a}", headers=bearer(token)).status_code == 403


def test_superadmins_see_which_accounts_are_not_claimed_yet(api, client, world, newcomer):
    def listed() -> dict[str, bool]:
        users = api("GET", "/users", "superadmin").get_json()["users"]
        return {u["email"]: u["password_change_required"] for u in users}

    assert listed()[EMAIL] is True
    assert not any(flag for email, flag in listed().items() if email != EMAIL)
    assert change(client, newcomer, OTHER, "a-fresh-Passphrase-41").status_code == 204
    assert listed()[EMAIL] is False
