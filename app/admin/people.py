"""Staff of a business (owners manage them) and every user (superadmin only)."""

from __future__ import annotations

import re

from app.admin import access
from app.admin.auth import MAX_EMAIL, check_password_field, hash_password, random_password
from app.admin.blueprint import bp
from app.admin.wire import ApiError, check_id, invalid, json_body, no_content, ok, taken_after_check
from app.storage import audit, users
from app.storage.db import transaction

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,252}\.[^@\s]{1,63}$")
ROLES = ("staff", "owner")
ACCOUNT_NOT_CLAIMED = "account_not_claimed"
ALREADY_MEMBER = "already_member"
EMAIL_TAKEN = "a user with this email exists already"
# Another request took the email after the check: the same 400.
_EMAIL_TAKEN_AFTER = {users.EMAIL_CONSTRAINT: lambda: invalid({"email": EMAIL_TAKEN})}


@bp.get("/businesses/<int:business_id>/staff")
def list_staff(business_id: int):
    """The members of a business: id, email, role, added_at (owner or superadmin)."""
    access.require_business(business_id, owner=True)
    return ok({"staff": users.members(business_id)})


@bp.post("/businesses/<int:business_id>/staff")
def add_staff(business_id: int):
    """Add a user to the business, creating them (with a one-time password) when new."""
    access.require_business(business_id, owner=True)
    data = json_body()
    errors = _unknown(data, {"email", "name", "password", "role"})
    role = data.get("role", "staff")
    if role not in ROLES:
        errors["role"] = "must be staff or owner"
    email, name, password = _identity(data, errors)
    existing = users.find_by_email(email) if email else None
    if existing and "password" in data:
        errors["password"] = "the user exists already; their password is not changed here"
    if errors:
        raise invalid(errors)
    if role == "owner" and not access.is_superadmin():
        raise ApiError(403, "only a superadmin may add an owner")
    if existing and not access.is_superadmin() and _unclaimed(existing["id"], business_id):
        # Whoever set that password (another owner) knows it: membership here would open this
        # business to them. The person signs in and chooses their own first.
        raise ApiError(
            409,
            "this account has not chosen its own password yet: the person must first sign in"
            " with the password they were given and choose their own (or ask a superadmin)",
            reason=ACCOUNT_NOT_CLAIMED,
        )
    generated = None
    with transaction() as conn:
        user = existing
        if user is None:
            generated = None if password else random_password()
            # The owner typed or is shown this password: its holder must choose their own.
            user = users.create_user(
                conn, email, name, hash_password(password or generated), password_chosen=False
            )
        if not users.add_membership(conn, user["id"], business_id, role):
            raise ApiError(409, "this user already belongs to the business", reason=ALREADY_MEMBER)
        member = {"user_id": user["id"], "email": user["email"], "role": role}
        member["user_created"] = existing is None
        _audit(conn, "add", user, business_id=business_id, entity="membership", after=member)
    # Only what the owner typed in comes back: an existing account's name and flags are its own.
    body = {"user": {"id": user["id"], "email": user["email"]}, "role": role}
    if generated:
        body["password"] = generated  # shown once; only its hash is stored
    return ok(body, 201)


@bp.delete("/businesses/<int:business_id>/staff/<int:user_id>")
def remove_staff(business_id: int, user_id: int):
    """Remove a user from the business (removing an owner takes a superadmin)."""
    access.require_business(business_id, owner=True)
    role = users.role_in(check_id(user_id), business_id)
    if role is None:
        raise ApiError(404, "no such member of this business")
    if role == "owner" and not access.is_superadmin():
        raise ApiError(403, "only a superadmin may remove an owner")
    with transaction() as conn:
        users.remove_membership(conn, user_id, business_id)
        before = {"user_id": user_id, "role": role}
        _audit(conn, "remove", {"id": user_id}, business_id, "membership", before=before)
    return no_content()


@bp.get("/users")
def list_users():
    """Every user (superadmin)."""
    access.require_superadmin()
    return ok({"users": users.list_users()})


@bp.post("/users")
def create_user():
    """Create a user, optionally a superadmin; a password is generated when none is given."""
    access.require_superadmin()
    data = json_body()
    errors = _unknown(data, {"email", "name", "password", "is_superadmin"})
    email, name, password = _identity(data, errors)
    superadmin = data.get("is_superadmin", False)
    if not isinstance(superadmin, bool):
        errors["is_superadmin"] = "must be true or false"
    if email and users.find_by_email(email):
        errors["email"] = EMAIL_TAKEN
    if errors:
        raise invalid(errors)
    generated = None if password else random_password()
    with taken_after_check(_EMAIL_TAKEN_AFTER), transaction() as conn:
        # The superadmin typed or is shown this password: its holder must choose their own.
        user = users.create_user(
            conn,
            email,
            name,
            hash_password(password or generated),
            superadmin,
            password_chosen=False,
        )
        _audit(conn, "create", user, after=user)
    body = {"user": user}
    if generated:
        body["password"] = generated
    return ok(body, 201)


@bp.patch("/users/<int:user_id>")
def update_user(user_id: int):
    """Change a user's name, email, password, active or superadmin flag (superadmin)."""
    access.require_superadmin()
    before = _user(user_id)
    data = json_body()
    errors = _unknown(data, {"email", "name", "password", "is_superadmin", "active"})
    fields = _user_fields(data, errors, before)
    if not data:
        errors["body"] = "name at least one field to change"
    if user_id == access.user_id() and (
        data.get("active") is False or data.get("is_superadmin") is False
    ):
        errors["active" if "active" in data else "is_superadmin"] = "you cannot lock yourself out"
    if errors:
        raise invalid(errors)
    with taken_after_check(_EMAIL_TAKEN_AFTER), transaction() as conn:
        after = users.update_user(conn, user_id, fields)
        if "password_hash" in fields or not after["active"]:
            users.revoke_all(conn, user_id)  # old sessions end with the old password
        changed = {**after, "password_changed": "password_hash" in fields}
        _audit(conn, "update", after, before=before, after=changed)
    return ok(after)


@bp.delete("/users/<int:user_id>")
def delete_user(user_id: int):
    """Delete a user and their memberships (superadmin; not yourself)."""
    access.require_superadmin()
    before = _user(user_id)
    if user_id == access.user_id():
        raise ApiError(409, "you cannot delete yourself")
    with transaction() as conn:
        users.delete_user(conn, user_id)
        _audit(conn, "delete", before, before=before)
    return no_content()


def _unclaimed(user_id: int, business_id: int) -> bool:
    """Whether the account is not a member of the business yet and its password was set by
    someone other than its holder (who has not chosen their own since)."""
    return users.role_in(user_id, business_id) is None and not users.password_chosen(user_id)


def _user(user_id: int) -> dict:
    user = users.get_user(check_id(user_id))
    if user is None:
        raise ApiError(404, "no such user")
    return user


def _unknown(data: dict, allowed: set[str]) -> dict[str, str]:
    return {key: "unknown field" for key in data if key not in allowed}


def _identity(data: dict, errors: dict) -> tuple[str | None, str, str | None]:
    """(email, name, password) of a new user; problems go into `errors`."""
    email = data.get("email")
    if not _is_email(email):
        errors["email"] = "must be an email address"
        email = None
    name = data.get("name", "")
    if not isinstance(name, str) or len(name.strip()) > 200:
        errors["name"] = "must be a string of at most 200 characters"
        name = ""
    email = email.strip().lower() if email else None
    password = data.get("password")
    if password is not None:
        password = check_password_field(password, errors, email, name.strip())
    return email, name.strip(), password


def _is_email(value) -> bool:
    """Whether `value` is an email address a login accepts."""
    return (
        isinstance(value, str)
        and len(value.strip()) <= MAX_EMAIL
        and bool(_EMAIL.match(value.strip()))
    )


def _user_fields(data: dict, errors: dict, current: dict) -> dict:
    fields = {}
    user_id = current["id"]
    if "email" in data:
        email = data["email"]
        if not _is_email(email):
            errors["email"] = "must be an email address"
        else:
            fields["email"] = email.strip().lower()
            other = users.find_by_email(fields["email"])
            if other and other["id"] != user_id:
                errors["email"] = EMAIL_TAKEN
    if "name" in data:
        if not isinstance(data["name"], str) or len(data["name"].strip()) > 200:
            errors["name"] = "must be a string of at most 200 characters"
        else:
            fields["name"] = data["name"].strip()
    for flag in ("active", "is_superadmin"):
        if flag in data:
            if isinstance(data[flag], bool):
                fields[flag] = data[flag]
            else:
                errors[flag] = "must be true or false"
    if "password" in data:
        email = fields.get("email", current["email"])
        name = fields.get("name", current["name"])
        password = check_password_field(data["password"], errors, email, name)
        if password:
            fields["password_hash"] = hash_password(password)
            # Set for someone else, the password is known to the superadmin: its holder must
            # choose their own. A superadmin setting their own chose it.
            fields["password_chosen"] = user_id == access.user_id()
    return fields


def _audit(conn, action, user, business_id=None, entity="user", before=None, after=None) -> None:
    audit.record(
        conn,
        user_id=access.user_id(),
        business_id=business_id,
        action=action,
        entity=entity,
        entity_id=user["id"],
        before=before,
        after=after,
    )
