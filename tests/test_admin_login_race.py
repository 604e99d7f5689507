"""A login whose (slow, scrypt) password check is under way while the password changes must not
end with a token that outlives the change: the token is issued only if the hash it verified is
still the account's, in the same statement that inserts it."""

from __future__ import annotations

import threading
import time

import psycopg

from app.storage import db, users
from tests.fixtures_admin import PASSWORD

NEW = "velvet canyon harbor 42"


def login(client, password: str = PASSWORD):
    return client.post(
        "/api/admin/auth/login", json={"email": "owner@example.com", "password": password}
    )


def hold_the_check_open(monkeypatch, during):
    """Make the login's password check run `during()` (on another thread, to its end) after
    the hash matched and before the login goes on, as a change landing mid-check would."""
    from app.admin import auth

    real_check = auth.check_password_hash
    state = {}

    def check(pwhash, password):
        matches = real_check(pwhash, password)
        if password == PASSWORD and "ran" not in state:
            state["ran"] = True
            worker = threading.Thread(target=during)
            worker.start()
            worker.join()
        return matches

    monkeypatch.setattr(auth, "check_password_hash", check)


def test_a_password_change_during_the_check_refuses_the_login(app, client, world, monkeypatch):
    changed = {}

    def change_password_via_api():
        # The superadmin's real PATCH, on its own client and thread; it commits (and revokes
        # the owner's tokens) while the login's check is still running.
        other = app.test_client()
        resp = other.patch(
            f"/api/admin/users/{world.user_ids['owner']}",
            json={"password": NEW},
            headers=world.headers("superadmin"),
        )
        changed["status"] = resp.status_code

    hold_the_check_open(monkeypatch, change_password_via_api)
    resp = login(client)
    assert changed["status"] == 200  # the change itself succeeded
    # Refused exactly as a wrong password is, and no token was stored for it.
    assert resp.status_code == 401
    assert resp.get_json() == login(client, "wrong password").get_json()
    live = db.fetch_one(
        "SELECT count(*) AS n FROM auth_tokens WHERE user_id = %s AND revoked_at IS NULL",
        (world.user_ids["owner"],),
    )
    assert live["n"] == 0
    # It counts as the failed attempt it is (the password given is no longer the account's).
    failures = db.fetch_one("SELECT count(*) AS n FROM login_failures")["n"]
    assert failures == 2
    assert login(client, NEW).status_code == 200


def test_a_deactivation_during_the_check_refuses_the_login(app, client, world, monkeypatch):
    def deactivate():
        other = app.test_client()
        resp = other.patch(
            f"/api/admin/users/{world.user_ids['owner']}",
            json={"active": False},
            headers=world.headers("superadmin"),
        )
        assert resp.status_code == 200

    hold_the_check_open(monkeypatch, deactivate)
    assert login(client).status_code == 401


def test_the_own_password_change_during_the_check_refuses_the_login(
    app, client, world, monkeypatch
):
    token = users.issue_token(world.user_ids["owner"], 1)[0]

    def change_own():
        other = app.test_client()
        resp = other.post(
            "/api/admin/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert resp.status_code == 204

    hold_the_check_open(monkeypatch, change_own)
    assert login(client).status_code == 401


def test_the_token_waits_for_a_change_in_flight(app, db_url, world):
    """A change whose UPDATE is done but not committed when the login inserts its token: the
    insert waits for it (FOR SHARE) and then finds the new hash, so nothing is issued."""
    owner = world.user_ids["owner"]
    old_hash = db.fetch_one("SELECT password_hash FROM users WHERE id = %s", (owner,))[
        "password_hash"
    ]
    result = {}

    def issue():
        with db.transaction() as conn:
            result["issued"] = users.issue_login_token(conn, owner, old_hash, 1)

    with psycopg.connect(db_url) as change:
        change.execute("UPDATE users SET password_hash = 'new' WHERE id = %s", (owner,))
        worker = threading.Thread(target=issue)
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive(), "the token was issued past an uncommitted password change"
        change.execute("UPDATE auth_tokens SET revoked_at = now() WHERE user_id = %s", (owner,))
        change.commit()
    worker.join(10)
    assert result == {"issued": None}


def test_a_current_hash_issues_the_token(app, world):
    owner = world.user_ids["owner"]
    current = db.fetch_one("SELECT password_hash FROM users WHERE id = %s", (owner,))
    with db.transaction() as conn:
        issued = users.issue_login_token(conn, owner, current["password_hash"], 1)
        stale = users.issue_login_token(conn, owner, "scrypt:not-the-hash", 1)
    assert issued is not None and stale is None
    assert users.user_for_token(issued[0])["id"] == owner
