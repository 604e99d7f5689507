"""X-Hub-Signature-256: verified over raw bytes, constant-time, strict about the header."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from app.channels.meta import sign, verify

SECRET = "app-secret"
BODY = b'{"object":"whatsapp_business_account","entry":[{"changes":[]}]}'
GOOD = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()


def test_sign_matches_hmac_sha256():
    assert sign(BODY, SECRET) == GOOD


@pytest.mark.parametrize("header", [GOOD, GOOD.upper(), "SHA256=" + GOOD[7:], f"  {GOOD} "])
def test_good_signature(header: str):
    assert verify(BODY, header, SECRET)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        GOOD[7:],  # no prefix
        "sha1=" + GOOD[7:],
        "sha256:" + GOOD[7:],
        GOOD[:-1],  # too short
        GOOD + "0",  # too long
        GOOD[:-1] + "g",  # not hex
        GOOD[:-2] + "é1",  # non-ASCII
        "sha256=" + "0" * 64,
        sign(BODY, "other-secret"),
    ],
)
def test_bad_or_malformed_header(header: str | None):
    assert not verify(BODY, header, SECRET)


@pytest.mark.parametrize(
    "body",
    [BODY + b" ", BODY.replace(b"changes", b"chAnges"), b"", BODY[:-1]],
)
def test_tampered_body(body: bytes):
    assert not verify(body, GOOD, SECRET)


def test_raw_bytes_not_decoded_text():
    raw = '{"text":"caf\u00e9"}'.encode()
    reencoded = b'{"text":"caf\\u00e9"}'  # same JSON value, different bytes
    assert verify(raw, sign(raw, SECRET), SECRET)
    assert not verify(reencoded, sign(raw, SECRET), SECRET)


def test_empty_secret_never_verifies():
    assert not verify(BODY, sign(BODY, ""), "")
