"""Who is calling and what they may see: bearer tokens, roles, tenant scoping.

A business the caller cannot see is answered 404, exactly like one that does not exist, so
ids of other tenants leak nothing. A business they can see but may not change is 403.
"""

from __future__ import annotations

from flask import g, request

from app.admin.wire import ApiError, check_id
from app.storage import businesses, users

OWNER = "owner"
STAFF = "staff"
SUPERADMIN = "superadmin"
# Endpoints that answer without a token (login is how a token is obtained).
PUBLIC_ENDPOINTS = frozenset({"admin.login", "admin.get_openapi"})
# What an account whose password was set by someone else (an owner, a superadmin) may do until
# its holder chooses their own: everything else answers 403 password_change_required.
UNCHOSEN_PASSWORD_ENDPOINTS = frozenset({"admin.get_me", "admin.logout", "admin.change_password"})
PASSWORD_CHANGE_REQUIRED = "password_change_required"


def authenticate() -> None:
    """Resolve the bearer token to an active user in `g.admin_user`; ApiError(401) if it fails."""
    g.admin_user = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    token = bearer_token()
    user = users.user_for_token(token) if token else None
    if user is None:
        raise ApiError(401, "missing, invalid, expired or revoked token")
    g.admin_user = user
    if not user["password_chosen"] and request.endpoint not in UNCHOSEN_PASSWORD_ENDPOINTS:
        raise ApiError(
            403,
            "this account's password was set by someone else: choose your own first"
            " (POST /api/admin/auth/password)",
            reason=PASSWORD_CHANGE_REQUIRED,
        )


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        return None
    return token


def current_user() -> dict:
    """The authenticated user of this request."""
    return g.admin_user


def user_id() -> int:
    """The id of the authenticated user (for the audit log)."""
    return g.admin_user["id"]


def is_superadmin() -> bool:
    """Whether the caller is a superadmin."""
    return bool(g.admin_user and g.admin_user["is_superadmin"])


def require_superadmin() -> None:
    """ApiError(403) unless the caller is a superadmin."""
    if not is_superadmin():
        raise ApiError(403, "only a superadmin may do this")


def role_for(business_id: int) -> str | None:
    """The caller's role in the business (superadmin/owner/staff), None when it is not visible."""
    check_id(business_id)
    if is_superadmin():
        return SUPERADMIN if businesses.business_exists(business_id) else None
    return users.role_in(user_id(), business_id)


def require_business(business_id: int, *, owner: bool = False) -> str:
    """The caller's role in a business they may act on; 404 if invisible, 403 if too weak."""
    role = role_for(business_id)
    if role is None:
        raise ApiError(404, "no such business")
    if owner and role == STAFF:
        raise ApiError(403, "only an owner of this business may do this")
    return role
