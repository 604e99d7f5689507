"""Business endpoints: list, read, create, edit settings, replace services, preview the prompt."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from flask import current_app

from app.admin import access, validation
from app.admin.blueprint import bp
from app.admin.wire import ApiError, invalid, json_body, ok, query_text, taken_after_check
from app.agent.prompts import build_system_prompt
from app.booking import reminders as plans
from app.secrets import encrypt
from app.storage import audit, business_settings, businesses
from app.storage.db import connection, transaction

SAMPLE_CUSTOMER = {
    "id": 0,
    "channel": "whatsapp",
    "address": "34600000000",
    "profile_name": "Sample Customer",
}


@bp.get("/businesses")
def list_businesses():
    """Businesses the caller may see (every one for a superadmin)."""
    user = access.current_user()
    rows = business_settings.list_visible(user["id"], user["is_superadmin"])
    return ok({"businesses": rows})


@bp.get("/businesses/<int:business_id>")
def get_business(business_id: int):
    """One business with its settings and active services."""
    access.require_business(business_id)
    with connection() as conn:
        return ok(business_settings.get(conn, business_id))


@bp.post("/businesses")
def create_business():
    """Create a business (superadmin only)."""
    access.require_superadmin()
    fields = validation.business_fields(json_body(), creating=True)
    _check_accounts_free(fields)
    _encrypt_tokens(fields)
    with taken_after_check(_ACCOUNTS_TAKEN), transaction() as conn:
        business_id = businesses.create_business(fields)
        created = business_settings.get(conn, business_id)
        audit.record(
            conn,
            user_id=access.user_id(),
            business_id=business_id,
            action="create",
            entity="business",
            entity_id=business_id,
            after=created,
        )
    return ok(created, 201)


@bp.patch("/businesses/<int:business_id>")
def update_business(business_id: int):
    """Change settings of a business (owner or superadmin); the next bot turn uses them."""
    access.require_business(business_id, owner=True)
    fields = validation.business_fields(json_body())
    restricted = sorted(validation.SUPERADMIN_FIELDS & set(fields))
    if restricted and not access.is_superadmin():
        raise ApiError(403, f"only a superadmin may change {', '.join(restricted)}")
    _check_accounts_free(fields, business_id)
    _encrypt_tokens(fields)
    with taken_after_check(_ACCOUNTS_TAKEN), transaction() as conn:
        if fields.get("reminders_enabled") is False or fields.get("active") is False:
            # Reminders waiting in the outbox do not go either (`stop_business`: its locks
            # come before the business's row is written); a deactivated business's customers
            # could not act on theirs.
            plans.stop_business(conn, business_id)
        before = business_settings.get(conn, business_id)
        business_settings.update(conn, business_id, fields)
        after = business_settings.get(conn, business_id)
        audit.record(
            conn,
            user_id=access.user_id(),
            business_id=business_id,
            action="update",
            entity="business",
            entity_id=business_id,
            before=_changed(before, fields),
            after=_changed(after, fields),
        )
    return ok(after)


@bp.put("/businesses/<int:business_id>/services")
def replace_services(business_id: int):
    """Replace the service list; removed services are retired, not deleted."""
    access.require_business(business_id, owner=True)
    items = validation.services(json_body())
    with transaction() as conn:
        before = business_settings.active_services(conn, business_id)
        unknown = business_settings.replace_services(conn, business_id, items)
        if unknown:
            raise invalid(unknown)
        after = business_settings.active_services(conn, business_id)
        audit.record(
            conn,
            user_id=access.user_id(),
            business_id=business_id,
            action="replace",
            entity="services",
            entity_id=business_id,
            before=before,
            after=after,
        )
    return ok({"services": after})


@bp.get("/businesses/<int:business_id>/prompt-preview")
def preview_prompt(business_id: int):
    """The system prompt the bot would use right now, for a sample customer."""
    access.require_business(business_id, owner=True)
    name = query_text("customer_name", 100) or SAMPLE_CUSTOMER["profile_name"]
    business = businesses.get_business(business_id)
    prompt = build_system_prompt(
        business,
        {**SAMPLE_CUSTOMER, "profile_name": name},
        datetime.now(UTC),
        current_app.config["REFERENCE_DOC_PROMPT_CHARS"],
    )
    return ok({"system_prompt": prompt})


def _check_accounts_free(fields: dict, business_id: int | None = None) -> None:
    """409 when another business already has a WhatsApp number or Page being written."""
    for key in validation.ACCOUNT_FIELDS:
        if fields.get(key) and business_settings.account_taken(key, fields[key], business_id):
            raise _account_taken(key)


def _account_taken(key: str) -> ApiError:
    reason = validation.ACCOUNT_FIELDS[key]
    return ApiError(409, f"another business already uses this {key}", reason=reason)


# Another business took the account after the check: the same 409.
_ACCOUNTS_TAKEN = {
    constraint: partial(_account_taken, key)
    for constraint, key in business_settings.ACCOUNT_CONSTRAINTS.items()
}


def _encrypt_tokens(fields: dict) -> None:
    """Store written access tokens encrypted with SECRET_KEY."""
    for key in validation.SECRET_FIELDS:
        if key in fields:
            fields[key] = encrypt(fields[key], current_app.config["SECRET_KEY"])


def _changed(business: dict, fields: dict) -> dict:
    """The audited part of a business: the fields written (a token only as has_<token>)."""
    shown = {k: business[k] for k in fields if k not in validation.SECRET_FIELDS}
    for key in validation.SECRET_FIELDS:
        if key in fields:
            shown[f"has_{key}"] = business[f"has_{key}"]
    return shown
