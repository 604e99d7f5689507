"""Admin users, their memberships in businesses, login tokens and failed-login records."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from psycopg import sql

from app.storage.db import connection, fetch_all, fetch_one, transaction

# Never select password_hash into anything that may be serialised.
USER = sql.SQL("u.id, u.email, u.name, u.is_superadmin, u.active, u.created_at")
# A user as they and superadmins see them: with whether their password is still someone else's.
LISTED = sql.SQL("{}, NOT u.password_chosen AS password_change_required").format(USER)
UPDATABLE = ("email", "name", "password_hash", "password_chosen", "is_superadmin", "active")
# The unique index on lower(email): a write that lost a race for an email fails on it.
EMAIL_CONSTRAINT = "users_email"


def token_hash(token: str) -> str:
    """The stored form of an opaque token (sha256 hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


def get_user(user_id: int) -> dict | None:
    """A user without their password hash."""
    return fetch_one(sql.SQL("SELECT {} FROM users u WHERE u.id = %s").format(USER), (user_id,))


def credentials(email: str) -> dict | None:
    """The id, hash and active flag of the user with `email` (case-insensitive), for login."""
    return fetch_one(
        "SELECT id, password_hash, active FROM users WHERE lower(email) = lower(%s)", (email,)
    )


def own_credentials(user_id: int) -> dict | None:
    """The id, email, name and hash of a user, for checking their own current password."""
    return fetch_one("SELECT id, email, name, password_hash FROM users WHERE id = %s", (user_id,))


def get_me(user_id: int) -> dict | None:
    """A user without their hash, with `password_change_required` (not chosen by its holder)."""
    return fetch_one(sql.SQL("SELECT {} FROM users u WHERE u.id = %s").format(LISTED), (user_id,))


def password_chosen(user_id: int) -> bool:
    """Whether the user's password was chosen by the user (False: set by someone else)."""
    row = fetch_one("SELECT password_chosen FROM users WHERE id = %s", (user_id,))
    return bool(row and row["password_chosen"])


def find_by_email(email: str) -> dict | None:
    """A user by email (case-insensitive), without their password hash."""
    return fetch_one(
        sql.SQL("SELECT {} FROM users u WHERE lower(u.email) = lower(%s)").format(USER), (email,)
    )


def list_users() -> list[dict]:
    """Every user, oldest first, with whether their password is still someone else's choice."""
    return fetch_all(sql.SQL("SELECT {} FROM users u ORDER BY u.id").format(LISTED))


def create_user(
    conn,
    email: str,
    name: str,
    password_hash: str,
    is_superadmin: bool = False,
    *,
    password_chosen: bool = True,
) -> dict:
    """Insert a user; return it without the hash.

    `password_chosen=False` when someone other than its holder set the password (an owner or a
    superadmin): the account must choose its own before it may do anything else.
    """
    return conn.execute(
        "INSERT INTO users (email, name, password_hash, is_superadmin, password_chosen)"
        " VALUES (%s, %s, %s, %s, %s)"
        " RETURNING id, email, name, is_superadmin, active, created_at",
        (email, name, password_hash, is_superadmin, password_chosen),
    ).fetchone()


def update_user(conn, user_id: int, fields: dict) -> dict | None:
    """Set the given columns (from UPDATABLE only); return the user without the hash."""
    cols = [c for c in UPDATABLE if c in fields]
    if not cols:
        query = sql.SQL("SELECT {} FROM users u WHERE u.id = %(id)s").format(USER)
        return conn.execute(query, {"id": user_id}).fetchone()
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in cols
    )
    query = sql.SQL("UPDATE users u SET {} WHERE u.id = %(id)s RETURNING {}").format(
        assignments, USER
    )
    return conn.execute(query, {**{c: fields[c] for c in cols}, "id": user_id}).fetchone()


def delete_user(conn, user_id: int) -> bool:
    """Delete a user (memberships and tokens go with it)."""
    return conn.execute("DELETE FROM users WHERE id = %s", (user_id,)).rowcount > 0


def upsert_superadmin(email: str, password_hash: str) -> tuple[int, bool]:
    """Make `email` an active superadmin with this password; return (id, created).

    The operator types it on the command line for themselves: the password counts as chosen.
    A login whose check of the old password was under way is refused (`issue_login_token`).
    """
    with transaction() as conn:
        row = conn.execute(
            "UPDATE users SET password_hash = %s, is_superadmin = true, active = true,"
            " password_chosen = true WHERE lower(email) = lower(%s) RETURNING id",
            (password_hash, email),
        ).fetchone()
        if row:
            revoke_all(conn, row["id"])
            return row["id"], False
        return create_user(conn, email, "", password_hash, is_superadmin=True)["id"], True


def memberships_of(user_id: int) -> list[dict]:
    """The businesses a user belongs to, with their role."""
    return fetch_all(
        "SELECT m.business_id, b.name AS business_name, m.role FROM memberships m"
        " JOIN businesses b ON b.id = m.business_id WHERE m.user_id = %s ORDER BY m.business_id",
        (user_id,),
    )


def role_in(user_id: int, business_id: int) -> str | None:
    """The user's role in the business ('owner' or 'staff'), or None."""
    row = fetch_one(
        "SELECT role FROM memberships WHERE user_id = %s AND business_id = %s",
        (user_id, business_id),
    )
    return row["role"] if row else None


def members(business_id: int) -> list[dict]:
    """The members of a business: id, email, role and when they joined it (nothing else)."""
    # Owners read this list, and anyone's email can be added as staff: the account's own name,
    # flags and age stay out of it (superadmins see those through the users routes).
    return fetch_all(
        "SELECT u.id, u.email, m.role, m.created_at AS added_at FROM memberships m"
        " JOIN users u ON u.id = m.user_id WHERE m.business_id = %s ORDER BY u.id",
        (business_id,),
    )


def add_membership(conn, user_id: int, business_id: int, role: str) -> bool:
    """Add the user to the business; False when they already belong to it."""
    return (
        conn.execute(
            "INSERT INTO memberships (user_id, business_id, role) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (user_id, business_id, role),
        ).rowcount
        > 0
    )


def remove_membership(conn, user_id: int, business_id: int) -> bool:
    """Remove the user from the business."""
    return (
        conn.execute(
            "DELETE FROM memberships WHERE user_id = %s AND business_id = %s",
            (user_id, business_id),
        ).rowcount
        > 0
    )


def issue_token(user_id: int, ttl_hours: float) -> tuple[str, datetime]:
    """Create a token for a user, unconditionally (tests, tools); only its hash is stored.

    Login uses `issue_login_token`, which checks the password hash it verified is still current.
    """
    token = secrets.token_urlsafe(32)
    row = fetch_one(
        "INSERT INTO auth_tokens (token_hash, user_id, expires_at)"
        " VALUES (%s, %s, now() + make_interval(secs => %s)) RETURNING expires_at",
        (token_hash(token), user_id, ttl_hours * 3600),
    )
    return token, row["expires_at"]


def issue_login_token(
    conn, user_id: int, verified_hash: str, ttl_hours: float
) -> tuple[str, datetime] | None:
    """A token for a login that verified `verified_hash`, or None when that hash is no longer
    the user's (a password change committed during the slow check) or the user is inactive.

    One statement: the token row exists only if the user row still holds the verified hash.
    FOR SHARE makes it wait for a password change in flight (its UPDATE holds the row) and
    then re-read the row, finding the new hash; and a change that starts after it waits for
    this transaction, so that its revoke-all sees, and revokes, the token issued here.
    """
    token = secrets.token_urlsafe(32)
    row = conn.execute(
        "INSERT INTO auth_tokens (token_hash, user_id, expires_at)"
        " SELECT %s, u.id, now() + make_interval(secs => %s) FROM ("
        "   SELECT id FROM users WHERE id = %s AND password_hash = %s AND active FOR SHARE"
        " ) u RETURNING expires_at",
        (token_hash(token), ttl_hours * 3600, user_id, verified_hash),
    ).fetchone()
    return (token, row["expires_at"]) if row else None


def user_for_token(token: str) -> dict | None:
    """The active user owning a live (unexpired, unrevoked) token, or None."""
    query = sql.SQL(
        "SELECT {}, u.password_chosen FROM auth_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > now() AND u.active"
    ).format(USER)
    return fetch_one(query, (token_hash(token),))


def revoke_token(token: str) -> bool:
    """Revoke one token."""
    with connection() as conn:
        return (
            conn.execute(
                "UPDATE auth_tokens SET revoked_at = now()"
                " WHERE token_hash = %s AND revoked_at IS NULL",
                (token_hash(token),),
            ).rowcount
            > 0
        )


def revoke_all(conn, user_id: int) -> None:
    """Revoke every token of a user (deactivation, password change)."""
    conn.execute(
        "UPDATE auth_tokens SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
        (user_id,),
    )


def revoke_others(conn, user_id: int, keep_token: str) -> None:
    """Revoke every token of a user but `keep_token` (their own password change)."""
    conn.execute(
        "UPDATE auth_tokens SET revoked_at = now()"
        " WHERE user_id = %s AND revoked_at IS NULL AND token_hash <> %s",
        (user_id, token_hash(keep_token)),
    )


def set_own_password(conn, user_id: int, old_hash: str, new_hash: str) -> bool:
    """Replace the hash the holder just proved they know with theirs (now chosen); False when
    it changed meanwhile (another change won the race)."""
    return (
        conn.execute(
            "UPDATE users SET password_hash = %s, password_chosen = true"
            " WHERE id = %s AND password_hash = %s AND active",
            (new_hash, user_id, old_hash),
        ).rowcount
        > 0
    )


def record_login_failure(email: str, ip: str) -> int:
    """Remember a (presumed) failed login, forget those older than a day; return its id."""
    with transaction() as conn:
        attempt = conn.execute(
            "INSERT INTO login_failures (email, ip) VALUES (%s, %s) RETURNING id", (email, ip)
        ).fetchone()["id"]
        conn.execute("DELETE FROM login_failures WHERE at < now() - interval '1 day'")
    return attempt


def forget_login_failure(attempt_id: int) -> None:
    """Drop one recorded attempt (a refused attempt does not extend the block)."""
    with connection() as conn:
        conn.execute("DELETE FROM login_failures WHERE id = %s", (attempt_id,))


def clear_login_failures(email: str) -> None:
    """Forget an account's failures after a successful login."""
    with connection() as conn:
        conn.execute("DELETE FROM login_failures WHERE lower(email) = lower(%s)", (email,))


def login_retry_after(
    email: str, ip: str, window_minutes: int, max_per_email: int, max_per_ip: int
) -> int | None:
    """Seconds until a login may be tried again, or None when it may be tried now."""
    # Blocked while the window holds `max` failures: it reopens when the max-th newest expires.
    row = fetch_one(
        "SELECT GREATEST("
        " (SELECT at FROM login_failures WHERE lower(email) = lower(%(email)s)"
        "   AND at > now() - make_interval(mins => %(win)s)"
        "   ORDER BY at DESC OFFSET %(skip_email)s LIMIT 1),"
        " (SELECT at FROM login_failures WHERE ip = %(ip)s"
        "   AND at > now() - make_interval(mins => %(win)s)"
        "   ORDER BY at DESC OFFSET %(skip_ip)s LIMIT 1)"
        ") + make_interval(mins => %(win)s) - now() AS wait",
        {
            "email": email,
            "ip": ip,
            "win": window_minutes,
            "skip_email": max(max_per_email - 1, 0),
            "skip_ip": max(max_per_ip - 1, 0),
        },
    )
    wait = row["wait"] if row else None
    if wait is None:
        return None
    return max(1, int(wait.total_seconds() + 0.999))
