"""Accounts on the fake Google for tests: OAuth users, service accounts, connected salons."""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.calendars import google_settings
from app.calendars.google_client import SCOPES
from tests.fake_gcal import FakeGoogle
from tests.fixtures_booking import make_business

CLIENT_ID = "1234-fake.apps.googleusercontent.com"
CLIENT_SECRET = "fake-client-secret"
OWNER = "owner@salon.example"
CAL = "salon@group.calendar.google.com"
SERVICE_ACCOUNT = "booking-bot@salon-project.iam.gserviceaccount.com"


def user_info(fake: FakeGoogle, principal: str = OWNER) -> dict:
    """An OAuth user token as setup_calendar_auth.py stores it, minted by the fake."""
    return {
        "type": "authorized_user",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": fake.add_user(principal, CLIENT_ID, CLIENT_SECRET),
        "token_uri": fake.token_uri,
        "scopes": list(SCOPES),
    }


def connect_user(fake: FakeGoogle, business_id: int, calendar_id: str = CAL) -> str:
    """Connect a business to the fake as the calendar's owner; return the refresh token."""
    info = user_info(fake)
    google_settings.save(business_id, info, calendar_id, fake.api_endpoint)
    return info["refresh_token"]


@functools.cache
def _private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def service_account_info(fake: FakeGoogle, email: str = SERVICE_ACCOUNT) -> dict:
    """A service account key file's JSON, its public key registered with the fake."""
    key = _private_key()
    fake.add_service_account(email, key.public_key())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "salon-project",
        "private_key_id": "fake-key-1",
        "private_key": pem,
        "client_email": email,
        "client_id": "100000000000000000001",
        "token_uri": fake.token_uri,
    }


def google_salon(fake: FakeGoogle, **overrides) -> int:
    """A salon (capacity 2, Madrid) whose calendar is the fake's, reached as its owner."""
    business_id = make_business(**overrides)
    connect_user(fake, business_id)
    return business_id
