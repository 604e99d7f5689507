"""Login, tokens (expiry, revocation) and throttling of failed logins."""

from __future__ import annotations

import pytest

from app.storage import db
from tests.fixtures_admin import PASSWORD


def login(client, email: str, password: str = PASSWORD, ip: str = "10.0.0.1"):
    return client.post(
        "/api/admin/auth/login",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_login_returns_a_working_token(client, world):
    resp = login(client, "Owner@Example.com")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["user"]["email"] == "owner@example.com"
    assert body["user"]["memberships"] == [
        {"business_id": world.business_id, "business_name": "Demo Salon", "role": "owner"}
    ]
    assert "password_hash" not in resp.get_data(as_text=True)
    me = client.get("/api/admin/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["id"] == world.user_ids["owner"]


def test_token_is_stored_only_as_its_hash(client, world):
    token = login(client, "owner@example.com").get_json()["token"]
    rows = db.fetch_all("SELECT token_hash FROM auth_tokens")
    assert all(token not in r["token_hash"] for r in rows)
    assert any(len(r["token_hash"]) == 64 for r in rows)


@pytest.mark.parametrize(
    ("email", "password"),
    [("owner@example.com", "wrong password"), ("nobody@example.com", PASSWORD)],
)
def test_bad_credentials_are_one_401(client, world, email, password):
    resp = login(client, email, password)
    assert resp.status_code == 401
    assert resp.get_json()["message"] == "invalid email or password"


def test_unknown_email_still_checks_a_hash(client, world, monkeypatch):
    from app.admin import auth

    calls = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    login(client, "nobody@example.com")
    assert len(calls) == 1 and calls[0].startswith("scrypt:")


def test_inactive_user_cannot_log_in(client, world):
    db.execute("UPDATE users SET active = false WHERE id = %s", (world.user_ids["owner"],))
    assert login(client, "owner@example.com").status_code == 401


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "a@b.c"}, {"email": 1, "password": "x"}, {"email": "a@b.c", "password": ""}],
)
def test_malformed_login_is_400(client, world, body):
    resp = client.post("/api/admin/auth/login", json=body)
    assert resp.status_code == 400
    assert resp.get_json()["fields"]


def test_five_failures_lock_the_account_not_others(client, world):
    for i in range(5):
        assert login(client, "owner@example.com", "nope", ip=f"10.1.0.{i}").status_code == 401
    locked = login(client, "OWNER@example.com", ip="10.2.0.1")  # right password, new address
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 15 * 60
    assert locked.get_json()["retry_after"] == int(locked.headers["Retry-After"])
    assert login(client, "staff@example.com", ip="10.2.0.1").status_code == 200


def test_account_unlocks_when_failures_age_out(client, world):
    for _ in range(5):
        login(client, "owner@example.com", "nope")
    assert login(client, "owner@example.com").status_code == 429
    db.execute("UPDATE login_failures SET at = at - interval '16 minutes'")
    assert login(client, "owner@example.com").status_code == 200


def test_twenty_failures_from_one_address_lock_that_address(client, world):
    for i in range(20):
        assert login(client, f"guess{i}@example.com", "nope", ip="10.9.9.9").status_code == 401
    assert login(client, "owner@example.com", ip="10.9.9.9").status_code == 429
    assert login(client, "owner@example.com", ip="10.9.9.10").status_code == 200


def guess(client, i: int, forwarded: str, ip: str = "10.0.0.1"):
    """A failed login for a fresh email, so only the per-address limit can refuse it."""
    return client.post(
        "/api/admin/auth/login",
        json={"email": f"guess{i}@example.com", "password": "nope"},
        headers={"X-Forwarded-For": forwarded},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_forged_forwarded_for_is_ignored_without_trusted_proxies(app, client, world):
    assert app.config["ADMIN_TRUSTED_PROXY_HOPS"] == 0
    statuses = [guess(client, i, f"203.0.113.{i}", ip="10.9.9.9").status_code for i in range(25)]
    assert statuses == [401] * 20 + [429] * 5
    ips = {r["ip"] for r in db.fetch_all("SELECT ip FROM login_failures")}
    assert ips == {"10.9.9.9"}


@pytest.mark.parametrize(
    ("hops", "headers", "expected"),
    [
        (1, ["203.0.113.7, 198.51.100.2"], "198.51.100.2"),
        (2, ["203.0.113.7, 198.51.100.2"], "203.0.113.7"),
        (2, ["203.0.113.7", "198.51.100.2"], "203.0.113.7"),  # a repeated header is one list
        (1, [" 198.51.100.2 "], "198.51.100.2"),
        (2, ["198.51.100.2"], "10.0.0.1"),  # fewer entries than proxies: the socket peer
        (1, [], "10.0.0.1"),
    ],
)
def test_trusted_proxy_hops_pick_the_entry_from_the_right(
    app, client, world, hops, headers, expected
):
    app.config["ADMIN_TRUSTED_PROXY_HOPS"] = hops
    resp = client.post(
        "/api/admin/auth/login",
        json={"email": "nobody@example.com", "password": "x"},
        headers=[("X-Forwarded-For", value) for value in headers],
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert resp.status_code == 401
    assert db.fetch_one("SELECT ip FROM login_failures")["ip"] == expected


def test_rotating_forged_entries_behind_one_proxy_are_still_throttled(app, client, world):
    app.config["ADMIN_TRUSTED_PROXY_HOPS"] = 1
    # The client forges the leftmost entries; the proxy appends the address it really saw.
    statuses = [
        guess(client, i, f"203.0.113.{i}, 10.{i}.0.1, 198.51.100.9").status_code for i in range(25)
    ]
    assert statuses == [401] * 20 + [429] * 5
    assert guess(client, 99, "198.51.100.10").status_code == 401  # another browser is not locked


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-1", "ADMIN_TRUSTED_PROXY_HOPS must be 0 or more, got -1"),
        ("one", "ADMIN_TRUSTED_PROXY_HOPS must be an integer, got 'one'"),
    ],
)
def test_trusted_proxy_hops_setting_is_checked(monkeypatch, raw, message):
    from app.config import ConfigError, load_config

    monkeypatch.setenv("ADMIN_TRUSTED_PROXY_HOPS", raw)
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert str(caught.value) == message


def test_success_clears_the_account_failures(client, world):
    for _ in range(4):
        login(client, "owner@example.com", "nope")
    assert login(client, "owner@example.com").status_code == 200
    for _ in range(4):
        login(client, "owner@example.com", "nope")
    assert login(client, "owner@example.com").status_code == 200


def test_logout_revokes_the_token(api, world):
    assert api("POST", "/auth/logout", "owner").status_code == 204
    resp = api("GET", "/me", "owner")
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "Unauthorized"
    assert api("GET", "/me", "staff").status_code == 200  # other sessions are untouched


def test_expired_token_is_refused(api, world):
    db.execute(
        "UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE user_id = %s",
        (world.user_ids["owner"],),
    )
    assert api("GET", "/me", "owner").status_code == 401


def test_deactivated_user_token_is_refused(api, world):
    resp = api("PATCH", f"/users/{world.user_ids['owner']}", "superadmin", json={"active": False})
    assert resp.status_code == 200
    assert api("GET", "/me", "owner").status_code == 401


def test_token_expiry_follows_config(app, client, world):
    app.config["ADMIN_TOKEN_TTL_HOURS"] = 2
    login(client, "owner@example.com")
    row = db.fetch_one(
        "SELECT expires_at - created_at AS ttl FROM auth_tokens ORDER BY created_at DESC LIMIT 1"
    )
    assert row["ttl"].total_seconds() == pytest.approx(7200, abs=5)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic abc",
        "Bearer not-a-token",
        "Bearer " + "x" * 5000,
        "bearer'--",
    ],
)
def test_bad_authorization_headers_are_401(client, world, header):
    resp = client.get("/api/admin/me", headers={"Authorization": header} if header else {})
    assert resp.status_code == 401
    assert set(resp.get_json()) == {"error", "message"}


def test_parallel_guesses_cannot_slip_past_the_limit(app, world):
    import threading

    barrier = threading.Barrier(12)
    codes: list[int] = []

    def guess(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        codes.append(login(client, "owner@example.com", f"wrong-{i}", ip=f"10.1.0.{i}").status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    limit = app.config["ADMIN_LOGIN_MAX_FAILURES_PER_EMAIL"]
    # Simultaneous guesses all count against each other: never more than the limit are tried
    # (when all of them land at once, none is).
    assert set(codes) <= {401, 429} and len(codes) == 12
    assert codes.count(401) <= limit
