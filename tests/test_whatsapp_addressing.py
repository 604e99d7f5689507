"""Who a WhatsApp message goes to, and which messages are not a customer's to answer.

A customer who hides their number behind a username is known only by their business-scoped user
id (BSUID): Meta's send API takes it in `recipient`, a phone number in `to`. A message written in
a group (Meta's groups API: it carries `group_id`) is not answered in private.
"""

from __future__ import annotations

import time

import pytest

from app.channels.base import Outbound
from app.channels.whatsapp import messages
from app.storage import db

PNID = "123456123"  # the demo business's WhatsApp number (tests/conftest.py)
BSUID = "US.13491208655302741918"


def envelope(message: dict, contact: dict) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550000000",
                                "phone_number_id": PNID,
                            },
                            "contacts": [contact],
                            "messages": [message],
                        },
                    }
                ],
            }
        ],
    }


def sends(fake_graph) -> list[dict]:
    """Every message send the app made (not read receipts or typing indicators)."""
    return [r.json for r in fake_graph.requests if isinstance(r.json, dict) and "type" in r.json]


@pytest.mark.parametrize(
    ("address", "field"),
    [
        ("34600111222", "to"),
        (BSUID, "recipient"),
        ("US.ENT.11815799212886844830", "recipient"),  # a parent BSUID
        ("BR.1502576394655843", "recipient"),
    ],
)
def test_a_phone_number_goes_in_to_and_a_bsuid_in_recipient(address, field):
    body = messages.request_body(address, Outbound(text="hello"))
    assert body[field] == address
    assert ({"to", "recipient"} - {field}).isdisjoint(body), body


def test_a_customer_known_only_by_their_bsuid_is_answered_by_it(
    app, post_webhook, drain, fake_graph
):
    message = {
        "from_user_id": BSUID,
        "id": "wamid.BSUID1",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": "hello"},
    }
    contact = {"profile": {"name": "Ana"}, "user_id": BSUID}
    assert post_webhook(envelope(message, contact)).status_code == 200
    drain()
    [send] = sends(fake_graph)
    assert send["recipient"] == BSUID and "to" not in send, send


def test_a_group_message_is_not_answered_in_private(app, post_webhook, drain, fake_graph):
    message = {
        "from": "34600111222",
        "group_id": "Y2FwaV9ncm91cDoxMjM0NQ",
        "id": "wamid.GROUP1",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": "see you all on Friday"},
    }
    contact = {"profile": {"name": "Alex"}, "wa_id": "34600111222"}
    assert post_webhook(envelope(message, contact)).status_code == 200
    drain()
    assert sends(fake_graph) == []
    assert db.fetch_one("SELECT 1 FROM messages WHERE external_id = 'wamid.GROUP1'") is None
