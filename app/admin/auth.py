"""Login, logout and the current user; passwords hashed with scrypt, tokens stored hashed."""

from __future__ import annotations

import secrets
from functools import cache

from flask import current_app, request
from werkzeug.security import check_password_hash, generate_password_hash

from app.admin import access
from app.admin.blueprint import bp
from app.admin.passwords import password_problem
from app.admin.wire import ApiError, json_body, no_content, ok, reject_unknown
from app.storage import audit, users
from app.storage.db import transaction


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
        if not isinstance(value, str) or not value or len(value) > 320
    }
    if bad:
        raise ApiError(400, "email and password are required", fields=bad)
    email = email.strip()
    ip = client_ip()
    cfg = current_app.config
    # Count this attempt as a failure before the slow password check, so parallel guesses see
    # each other and cannot slip past the limit together; a success clears it again.
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
        raise ApiError(429, "too many failed logins; try again later", retry_after=wait)
    found = users.credentials(email)
    # Unknown emails cost one hash too, so response time does not reveal which accounts exist.
    matches = check_password_hash(found["password_hash"] if found else _dummy_hash(), password)
    if not (found and matches and found["active"]):
        raise ApiError(401, "invalid email or password")
    users.clear_login_failures(email)
    with transaction() as conn:
        token, expires_at = users.issue_token(found["id"], cfg["ADMIN_TOKEN_TTL_HOURS"])
        audit.record(conn, user_id=found["id"], action="login", entity="session", after={"ip": ip})
    return ok(
        {"token": token, "expires_at": expires_at, "user": user_with_memberships(found["id"])}
    )


@bp.post("/auth/logout")
def logout():
    """Revoke the token this request was made with."""
    with transaction() as conn:
        users.revoke_token(access.bearer_token())
        audit.record(conn, user_id=access.user_id(), action="logout", entity="session")
    return no_content()


@bp.get("/me")
def get_me():
    """The caller with their memberships."""
    return ok(user_with_memberships(access.user_id()))


def user_with_memberships(user_id: int) -> dict:
    """A user (no hash) with the businesses they belong to."""
    return {**users.get_user(user_id), "memberships": users.memberships_of(user_id)}


def check_password_field(
    value, errors: dict, email: str | None, name: str = "", field: str = "password"
) -> str | None:
    """A new password for the account `email`/`name`, or None (naming the problem in `errors`)."""
    problem = password_problem(value, email or "", name)
    if problem:
        errors[field] = problem
        return None
    return value
