"""Build webhook envelopes the way Meta sends them."""

from __future__ import annotations

import itertools
import time

PHONE_NUMBER_ID = "123456123"
_ids = itertools.count(1)


def text(
    body: str,
    wa_id: str = "34600111222",
    name: str = "Alex",
    wamid: str | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict:
    """A text message envelope."""
    return message({"type": "text", "text": {"body": body}}, wa_id, name, wamid, phone_number_id)


def message(
    content: dict,
    wa_id: str = "34600111222",
    name: str = "Alex",
    wamid: str | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict:
    """An envelope carrying one message with the given type-specific `content`."""
    msg = {
        "from": wa_id,
        "id": wamid or f"wamid.TEST{next(_ids)}.{time.time_ns()}",
        "timestamp": str(int(time.time())),
        **content,
    }
    return wrap(
        {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [msg]},
        phone_number_id,
    )


def status(
    wamid: str,
    state: str,
    recipient: str = "34600111222",
    errors: list | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict:
    """A status update envelope."""
    st = {
        "id": wamid,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
    }
    if errors:
        st["errors"] = errors
    return wrap({"statuses": [st]}, phone_number_id)


def business_app_echo(
    body: str,
    to: str = "34600111222",
    wamid: str | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
    kind: str = "text",
) -> dict:
    """A message a person sent from the WhatsApp Business app on the same number (coexistence:
    the `smb_message_echoes` field)."""
    echo = {
        "from": "34600000000",
        "to": to,
        "id": wamid or f"wamid.ECHO{next(_ids)}.{time.time_ns()}",
        "timestamp": str(int(time.time())),
        "type": kind,
    }
    echo[kind] = {"body": body} if kind == "text" else {"original_message_id": "wamid.X"}
    envelope = wrap({"message_echoes": [echo]}, phone_number_id)
    envelope["entry"][0]["changes"][0]["field"] = "smb_message_echoes"
    return envelope


def wrap(value: dict, phone_number_id: str = PHONE_NUMBER_ID) -> dict:
    """The outer WhatsApp Business Account envelope around one change value."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA_ID",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "34600000000",
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def tap(
    choice_id: str,
    title: str,
    kind: str = "list_reply",
    wa_id: str = "34600111222",
    description: str = "",
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict:
    """A tap on a list row (`list_reply`) or reply button (`button_reply`) we sent."""
    reply = {"id": choice_id, "title": title}
    if description:
        reply["description"] = description
    content = {"type": "interactive", "interactive": {"type": kind, kind: reply}}
    return message(content, wa_id, phone_number_id=phone_number_id)


def messenger(
    psid: str,
    page_id: str,
    text: str = "",
    quick_reply: str = "",
    postback: str = "",
) -> dict:
    """A Messenger (Page) webhook body: a text, a tapped quick reply, or a postback."""
    now = int(time.time() * 1000)
    event: dict = {"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": now}
    if postback:
        event["postback"] = {"mid": f"m_pb{next(_ids)}", "title": text, "payload": postback}
    else:
        event["message"] = {"mid": f"m_{next(_ids)}.{time.time_ns()}", "text": text}
        if quick_reply:
            event["message"]["quick_reply"] = {"payload": quick_reply}
    return {"object": "page", "entry": [{"id": page_id, "time": now, "messaging": [event]}]}
