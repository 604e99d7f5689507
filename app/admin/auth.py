"""Login, logout and the current user; passwords hashed with scrypt, tokens stored hashed."""

from __future__ import annotations

import secrets
from functools import cache

from flask import current_app, request
from werkzeug.security import check_password_hash, generate_password_hash

from app.admin import access
from app.admin.blueprint import bp
from app.admin.passwords import MAX_PASSWORD, password_problem
from app.admin.wire import ApiError, invalid, json_body, no_content, ok, reject_unknown
from app.storage import audit, users
from app.storage.db import transaction

# The longest email (and password) a login reads; accounts are made with emails within it.
MAX_EMAIL = 320


def hash_password(password: str) -> str:
    """The stored form of a password (werkzeug scrypt)."""
    return generate_password_hash(password, method="scrypt")


def random_password() -> str:
    """A password for a new user who was not given one (shown once)."""
    return secrets.token_urlsafe(12)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def client_ip() -> str:
    """The caller's address, as the outermost trusted proxy saw it (werkzeug ProxyFix semantics).

    With ADMIN_TRUSTED_PROXY_HOPS = 0 it is the socket peer and X-Forwarded-For is ignored. With
    N it is the Nth X-Forwarded-For entry from the right: each trusted proxy appended the address
    it saw, so entries further left were written by the client and could be anything. With fewer
    than N entries the request did not come through the proxies: the socket peer again.
    """
    hops = current_app.config.get("ADMIN_TRUSTED_PROXY_HOPS", 0)
    # Repeated headers form one list, as with a proxy that appends to the last one.
    header = ",".join(request.headers.getlist("X-Forwarded-For"))
    forwarded = [entry.strip() for entry in header.split(",")] if header else []
    ip = forwarded[-hops] if 0 < hops <= len(forwarded) else ""
    return (ip or request.remote_addr or "unknown")[:100]


@bp.post("/auth/login")
def login():
    """Exchange email and password for a bearer token; throttled per account and per address."""
    data = json_body()
    reject_unknown(data, {"email", "password"})
    email, password = data.get("email"), data.get("password")
    bad = {
        key: "must be a non-empty string"
        for key, value in (("email", email), ("password", password))
        if not isinstance(value, str) or not value or len(value) > MAX_EMAIL
    }
    if bad:
        raise ApiError(400, "email and password are required", fields=bad)
    email = email.strip()
    ip = client_ip()
    cfg = current_app.config
    throttle_attempt(email, ip, "too many failed logins; try again later")
    found = users.credentials(email)
    # Unknown emails cost one hash too, so response time does not reveal which accounts exist.
    matches = check_password_hash(found["password_hash"] if found else _dummy_hash(), password)
    if not (found and matches and found["active"]):
        raise ApiError(401, "invalid email or password")
    with transaction() as conn:
        # Issued only if the hash just verified is still the user's and they are still active:
        # a password change or deactivation that committed during the slow check wins, and
        # this login is refused like a wrong password. The attempt stays counted as a failure:
        # the password given is not the account's (any more), and a refusal that cleared the
        # count would let guesses timed against a change escape the limit.
        issued = users.issue_login_token(
            conn, found["id"], found["password_hash"], cfg["ADMIN_TOKEN_TTL_HOURS"]
        )
        if issued is None:
            raise ApiError(401, "invalid email or password")
        token, expires_at = issued
        audit.record(conn, user_id=found["id"], action="login", entity="session", after={"ip": ip})
    users.clear_login_failures(email)
    return ok(
        {"token": token, "expires_at": expires_at, "user": user_with_memberships(found["id"])}
    )


def throttle_attempt(email: str, ip: str, message: str) -> None:
    """Count a password check for `email` from `ip` as a failure before it runs, or refuse it
    (429 with retry_after) when the account or the address has failed too often lately.

    Counted before the slow check, so parallel guesses see each other and cannot slip past the
    limit together; a success clears the account's failures again (`clear_login_failures`).
    """
    cfg = current_app.config
    attempt = users.record_login_failure(email, ip)
    wait = users.login_retry_after(
        email,
        ip,
        cfg["ADMIN_LOGIN_WINDOW_MINUTES"],
        cfg["ADMIN_LOGIN_MAX_FAILURES_PER_EMAIL"] + 1,
        cfg["ADMIN_LOGIN_MAX_FAILURES_PER_IP"] + 1,
    )
    if wait is not None:
        users.forget_login_failure(attempt)
        raise ApiError(429, message, retry_after=wait)


@bp.post("/auth/logout")
def logout():
    """Revoke the token this request was made with."""
    with transaction() as conn:
        users.revoke_token(access.bearer_token())
        audit.record(conn, user_id=access.user_id(), action="logout", entity="session")
    return no_content()


@bp.post("/auth/password")
def change_password():
    """The caller changes their own password: the current one, then a new one of their choosing.

    Open to every signed-in user, including one whose password was set by someone else (it is
    how they choose their own). The check of the current password is throttled as logins are,
    so this cannot be used to guess it. Every other token of the user is revoked; the one in
    use keeps working.
    """
    data = json_body()
    reject_unknown(data, {"current_password", "new_password"})
    current, new = data.get("current_password"), data.get("new_password")
    errors = {}
    if not isinstance(current, str) or not current or len(current) > MAX_PASSWORD:
        errors["current_password"] = "must be a non-empty string"
    me = users.own_credentials(access.user_id())
    check_password_field(new, errors, me["email"], me["name"], field="new_password")
    if "current_password" in errors:
        raise invalid(errors)
    email = me["email"]
    throttle_attempt(email, client_ip(), "too many wrong passwords; try again later")
    if not check_password_hash(me["password_hash"], current):
        errors["current_password"] = "is not your current password"
        raise invalid(errors)
    users.clear_login_failures(email)
    # A password someone else set (and so knows) must not be kept as "chosen".
    if "new_password" not in errors and check_password_hash(me["password_hash"], new):
        errors["new_password"] = "must differ from the current password"
    if errors:
        raise invalid(errors)
    with transaction() as conn:
        if not users.set_own_password(conn, me["id"], me["password_hash"], hash_password(new)):
            # Another change of this password committed meanwhile: the one checked is gone.
            raise invalid({"current_password": "is not your current password"})
        users.revoke_others(conn, me["id"], access.bearer_token())
        audit.record(
            conn,
            user_id=me["id"],
            action="update",
            entity="user",
            entity_id=me["id"],
            after={"password_changed": True, "password_chosen": True, "by": "self"},
        )
    return no_content()


@bp.get("/me")
def get_me():
    """The caller with their memberships."""
    return ok(user_with_memberships(access.user_id()))


def user_with_memberships(user_id: int) -> dict:
    """A user (no hash) with the businesses they belong to, and whether they must choose a
    password of their own before anything else (`password_change_required`)."""
    return {**users.get_me(user_id), "memberships": users.memberships_of(user_id)}


def check_password_field(
    value, errors: dict, email: str | None, name: str = "", field: str = "password"
) -> str | None:
    """A new password for the account `email`/`name`, or None (naming the problem in `errors`)."""
    problem = password_problem(value, email or "", name)
    if problem:
        errors[field] = problem
        return None
    return value
