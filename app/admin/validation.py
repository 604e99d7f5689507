"""Validation of business settings and services: every bad field is named, nothing is guessed."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from app.admin.fields import (
    BAD,
    Errors,
    Validator,
    account_id,
    boolean,
    integer,
    nullable,
    phone_number,
    quiet_hours,
    reminder_offsets,
    text,
    timezone,
    whatsapp_template,
)
from app.admin.schedule import closed_dates, opening_hours
from app.admin.wire import invalid

_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
MAX_SERVICES = 200
MAX_PRICE = Decimal("99999999.99")
MAX_TOKEN_BUDGET = 10**12


BUSINESS_FIELDS: dict[str, Validator] = {
    "name": text(1, 200),
    "display_phone_number": text(0, 50),
    "access_token": text(0, 2000),
    "timezone": timezone,
    "language": text(0, 50),
    "personality": text(0, 2000),
    "instructions": text(0, 8000),
    "opening_hours": opening_hours,
    "closed_dates": closed_dates,
    "max_concurrent": integer(1, 1000),
    "slot_step_minutes": integer(5, 240),
    "buffer_minutes": integer(0, 1440),
    "min_notice_minutes": integer(0, 525_600),
    "horizon_days": integer(1, 365),
    "message_retention_days": integer(1, 3650),
    "whatsapp_number_id": account_id,
    "active": boolean,
    "monthly_token_budget": nullable(integer(0, MAX_TOKEN_BUDGET)),
    # The business's Facebook Page (null: not on Messenger) and that Page's access token.
    "messenger_page_id": nullable(account_id),
    "page_access_token": text(0, 2000),
    "reminders_enabled": boolean,
    "reminder_offsets_minutes": reminder_offsets,
    "reminder_quiet_hours": quiet_hours,
    "reminder_template": whatsapp_template,
    # Human handoff: the bot's quiet time after a staff reply (null: until "Resume bot"), the
    # WhatsApp number told when a conversation needs a person, the template of late replies.
    "handoff_quiet_minutes": nullable(integer(1, 43_200)),
    "staff_notify_number": nullable(phone_number),
    "staff_reply_template": whatsapp_template,
}
# Fields that move a business between numbers or Pages, switch it off or cap what its model may
# spend: the operator's call.
SUPERADMIN_FIELDS = frozenset(
    {"whatsapp_number_id", "messenger_page_id", "active", "monthly_token_budget"}
)
# Written, stored encrypted, never read back: the console sees has_<name> instead.
SECRET_FIELDS = ("access_token", "page_access_token")
# The business's account on each channel, unique across businesses, with the reason code of the
# 409 when another business has it.
ACCOUNT_FIELDS = {"whatsapp_number_id": "number_taken", "messenger_page_id": "page_taken"}
REQUIRED_ON_CREATE = ("name", "whatsapp_number_id")


def business_fields(data: dict, creating: bool = False) -> dict:
    """Normalised business fields from a request body; ApiError(400) naming every bad one."""
    errors: Errors = {}
    clean = {}
    for key, value in data.items():
        check = BUSINESS_FIELDS.get(key)
        if check is None:
            errors[key] = "unknown field"
            continue
        result = check(value, key, errors)
        if result is not BAD:
            clean[key] = result
    if creating:
        for key in REQUIRED_ON_CREATE:
            if key not in data:
                errors[key] = "is required"
    elif not data:
        errors["body"] = "name at least one field to change"
    if errors:
        raise invalid(errors)
    return clean


SERVICE_FIELDS = frozenset({"id", "name", "duration_minutes", "price", "currency"})


def services(data: dict) -> list[dict]:
    """The new service list of a PUT body {"services": [...]}; ApiError(400) if any item is bad."""
    errors: Errors = {}
    extra = {key: "unknown field" for key in data if key != "services"}
    items = data.get("services")
    if extra or not isinstance(items, list) or len(items) > MAX_SERVICES:
        if not isinstance(items, list) or len(items) > MAX_SERVICES:
            extra["services"] = f"must be a list of at most {MAX_SERVICES} services"
        raise invalid(extra)
    clean, seen, ids = [], {}, set()
    for i, item in enumerate(items):
        svc = _service(item, f"services.{i}", errors)
        if svc is BAD:
            continue
        if svc["id"] is not None:
            if svc["id"] in ids:
                errors[f"services.{i}.id"] = "appears twice"
            ids.add(svc["id"])
        folded = svc["name"].casefold()
        if folded in seen:
            errors[f"services.{i}.name"] = f"duplicates services.{seen[folded]}.name"
        seen.setdefault(folded, i)
        clean.append(svc)
    if errors:
        raise invalid(errors)
    return clean


def _service(item, name: str, errors: Errors):
    if not isinstance(item, dict):
        errors[name] = "must be an object"
        return BAD
    before = len(errors)
    for key in item:
        if key not in SERVICE_FIELDS:
            errors[f"{name}.{key}"] = "unknown field"
    svc_id = item.get("id")
    svc = {
        "id": None if svc_id is None else integer(1, 2**63 - 1)(svc_id, f"{name}.id", errors),
        "name": text(1, 200)(item.get("name"), f"{name}.name", errors),
        "duration_minutes": integer(1, 720)(
            item.get("duration_minutes"), f"{name}.duration_minutes", errors
        ),
        "price": _price(item.get("price", 0), f"{name}.price", errors),
        "currency": _currency(item.get("currency", "EUR"), f"{name}.currency", errors),
    }
    return BAD if len(errors) > before else svc


def _price(value, name: str, errors: Errors):
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidOperation
        price = Decimal(str(value).strip())
        if not price.is_finite() or price < 0 or price > MAX_PRICE:
            raise InvalidOperation
        if price != price.quantize(Decimal("0.01")):
            errors[name] = "at most 2 decimal places"
            return BAD
        return price.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors[name] = f"must be a number from 0 to {MAX_PRICE}"
        return BAD


def _currency(value, name: str, errors: Errors):
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        errors[name] = "must be a 3-letter currency code such as EUR"
        return BAD
    return value.upper()
