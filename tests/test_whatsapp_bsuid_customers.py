"""A WhatsApp customer who hides their number behind a username stays one customer.

Meta's webhooks give each sender a business-scoped user id (BSUID) beside their phone number;
once they adopt a username, a message may carry the BSUID alone. The webhook's statement finds
the customer by the BSUID stored with them, so their appointments, language and history stay
theirs; an erased customer's redelivered message is recognised by it too.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from app import erasure
from app.storage import businesses, db
from tests.test_store_inbound import _generic_plan, inbound, store
from tests.test_whatsapp_addressing import BSUID, envelope, sends

PHONE = "972987654321"
DEADLINE = 30.0


def message(wamid: str, text: str, phone: str | None = PHONE, sent: float | None = None) -> dict:
    """A text message from the user, with their number (`phone`) or with their BSUID alone."""
    msg = {
        "from_user_id": BSUID,
        "id": wamid,
        "timestamp": str(int(sent or time.time())),
        "type": "text",
        "text": {"body": text},
    }
    contact = {"profile": {"name": "Noa"}, "user_id": BSUID}
    if phone:
        msg["from"], contact["wa_id"] = phone, phone
    return envelope(msg, contact)


def customers() -> list[dict]:
    return db.fetch_all(
        "SELECT id, address, user_id, erased_at FROM customers WHERE channel = 'whatsapp'"
        " ORDER BY id"
    )


def test_known_by_number_then_by_bsuid_alone_is_one_customer(app, post_webhook, drain, fake_graph):
    assert post_webhook(message("wamid.B1", "hi, a haircut please")).status_code == 200
    assert post_webhook(message("wamid.B2", "is my booking ok?", phone=None)).status_code == 200
    drain()
    [customer] = customers()
    assert (customer["address"], customer["user_id"]) == (PHONE, BSUID)
    inbound = db.fetch_all("SELECT customer_id FROM messages WHERE direction = 'in' ORDER BY id")
    assert [m["customer_id"] for m in inbound] == [customer["id"]] * 2
    assert {s.get("to") for s in sends(fake_graph)} == {PHONE}  # still answered by number


def test_known_by_bsuid_first_then_with_the_number_is_one_customer(app, post_webhook, drain):
    assert post_webhook(message("wamid.C1", "hello", phone=None)).status_code == 200
    assert post_webhook(message("wamid.C2", "hello again")).status_code == 200
    [customer] = customers()
    assert (customer["address"], customer["user_id"]) == (BSUID, BSUID)


@pytest.fixture
def business(pool):
    business_id, _ = businesses.seed_demo("123456123")
    return business_id


def test_both_ways_in_one_batch_are_one_customer(business):
    """Two requests stored by one statement (the group commit's batch), neither finding the
    customer stored: the first address given for the BSUID is theirs."""
    by_number = inbound(business, 1, PHONE, user_id=BSUID)
    by_bsuid = inbound(business, 2, BSUID, user_id=BSUID)
    assert all(store([[by_number], [by_bsuid]]))
    [customer] = customers()
    assert (customer["address"], customer["user_id"]) == (PHONE, BSUID)
    assert db.fetch_one("SELECT count(*) AS n FROM messages WHERE direction = 'in'")["n"] == 2


def test_an_erased_customers_old_message_by_bsuid_alone_stays_erased(app, post_webhook, drain):
    sent = time.time() - 60
    assert post_webhook(message("wamid.E1", "hi", sent=sent)).status_code == 200
    drain()
    [customer] = customers()
    with app.app_context():
        assert erasure.erase(_business(customer["id"]), customer["id"], by="customer")["erased"]
    [erased] = customers()
    assert erased["user_id"] is None and erased["erased_at"] is not None
    # Meta redelivers a message sent before the erasure, the number now hidden.
    assert post_webhook(message("wamid.E2", "hi", phone=None, sent=sent)).status_code == 200
    assert [c["id"] for c in customers()] == [customer["id"]]  # no new customer from it
    assert db.fetch_one("SELECT 1 FROM messages WHERE external_id = 'wamid.E2'") is None


def _business(customer_id: int) -> int:
    return db.fetch_one("SELECT business_id FROM customers WHERE id = %s", (customer_id,))[
        "business_id"
    ]


def test_the_bsuid_lookups_probe_their_indexes(business):
    """Every WhatsApp message carries a BSUID: finding its customer, and each erased-sender
    tombstone, is one index probe in the generic plan a pooled connection keeps, not a read of
    every customer of the business."""
    db.execute(
        "INSERT INTO customers (business_id, channel, address)"
        " SELECT %s, 'whatsapp', 'a' || n FROM generate_series(1, 3000) n",
        (business,),
    )
    rows = [
        inbound(business, i, f"3460000000{i}", user_id=f"US.{i}", address_hash="a", user_hash="u")
        for i in range(8)
    ]
    with psycopg.connect(db.pool().conninfo) as conn:  # a transaction, rolled back
        plan = _generic_plan(conn, [write.row(i) for i, write in enumerate(rows, 1)])
        conn.rollback()
    for index in ("customers_user_id", "customers_erased_address", "customers_erased_user"):
        assert f"Index Scan using {index} on customers" in plan, plan


def number_change(old: str, new: str, wamid: str = "wamid.NUM1") -> dict:
    """WhatsApp's notice that a user changed their number (as in meta-payloads)."""
    msg = {
        "from": old,
        "id": wamid,
        "timestamp": str(int(time.time())),
        "system": {
            "body": f"User A changed from {old} to {new}",
            "wa_id": new,
            "type": "user_changed_number",
        },
        "type": "system",
    }
    return envelope(msg, {"profile": {"name": "Noa"}, "wa_id": old})


def test_a_changed_number_takes_the_customer_with_it(app, post_webhook, drain, fake_graph):
    assert post_webhook(message("wamid.N1", "hi, a haircut please")).status_code == 200
    drain()
    [before] = customers()
    new = "972912345678"
    assert post_webhook(number_change(PHONE, new)).status_code == 200
    drain()
    [after] = customers()
    assert (after["id"], after["address"]) == (before["id"], new)
    # Their next message, from the new number (a new BSUID with it), is the same customer's.
    nxt = message("wamid.N2", "me again", phone=new)
    nxt["entry"][0]["changes"][0]["value"]["messages"][0]["from_user_id"] = "US.999"
    assert post_webhook(nxt).status_code == 200
    drain()
    assert [c["id"] for c in customers()] == [before["id"]]
    assert sends(fake_graph)[-1]["to"] == new


@pytest.mark.parametrize("known", [True, False], ids=["a customer", "a first message"])
def test_a_message_from_the_old_number_before_the_change_in_one_delivery_moves_with_it(
    app, post_webhook, drain, fake_graph, known
):
    """The notice was applied before the delivery's messages were stored, so a message written
    before it, from the old number, made a second customer there (or, as a first message, found
    no customer for the notice to move), and was answered at the number left."""
    if known:
        assert post_webhook(message("wamid.O1", "hi")).status_code == 200
        drain()
    new = "972912345678"
    # By number alone (a BSUID would find the moved customer whatever the order).
    delivery = without_bsuid(
        message("wamid.O2", "a haircut tomorrow, please", sent=time.time() - 1)
    )
    notice = number_change(PHONE, new, wamid="wamid.O3")["entry"][0]["changes"][0]["value"]
    delivery["entry"][0]["changes"][0]["value"]["messages"] += notice["messages"]
    assert post_webhook(delivery).status_code == 200
    drain()
    [customer] = customers()
    assert customer["address"] == new
    assert sends(fake_graph)[-1]["to"] == new


def test_a_number_already_in_use_by_another_customer_is_not_merged(app, post_webhook, drain):
    new = "972912345678"
    assert post_webhook(message("wamid.M1", "hi")).status_code == 200
    other = message("wamid.M2", "hi", phone=new)
    other["entry"][0]["changes"][0]["value"]["messages"][0]["from_user_id"] = "US.888"
    other["entry"][0]["changes"][0]["value"]["contacts"][0]["user_id"] = "US.888"
    assert post_webhook(other).status_code == 200
    assert post_webhook(number_change(PHONE, new)).status_code == 200
    assert sorted(c["address"] for c in customers()) == sorted([PHONE, new])


def without_bsuid(envelope_: dict) -> dict:
    """The same envelope as a message written before Meta added BSUIDs: the number alone."""
    value = envelope_["entry"][0]["changes"][0]["value"]
    del value["messages"][0]["from_user_id"]
    del value["contacts"][0]["user_id"]
    return envelope_


def test_an_erased_customers_old_message_by_number_alone_stays_erased(app, post_webhook, drain):
    sent = time.time() - 120
    first = without_bsuid(message("wamid.OLD1", "hi, a haircut please", sent=sent))
    assert post_webhook(first).status_code == 200
    assert post_webhook(message("wamid.NEW1", "tomorrow?", sent=sent + 30)).status_code == 200
    drain()
    [customer] = customers()
    assert customer["user_id"] == BSUID
    with app.app_context():
        assert erasure.erase(_business(customer["id"]), customer["id"], by="customer")["erased"]
    assert post_webhook(first).status_code == 200  # Meta redelivers the first, as it was
    drain()
    assert [c["id"] for c in customers()] == [customer["id"]]
    assert db.fetch_one("SELECT 1 FROM messages WHERE external_id = 'wamid.OLD1'") is None


def test_a_number_change_and_a_message_from_the_new_number_in_one_delivery(
    app, post_webhook, drain
):
    assert post_webhook(message("wamid.S1", "hi, a haircut please")).status_code == 200
    drain()
    [before] = customers()
    new = "972912345678"
    notice = number_change(PHONE, new, wamid="wamid.S2")
    nxt = message("wamid.S3", "me again, new number", phone=new, sent=time.time() + 1)
    msg, contact = (nxt["entry"][0]["changes"][0]["value"][k][0] for k in ("messages", "contacts"))
    msg["from_user_id"] = contact["user_id"] = "US.999"  # a new number brings a new BSUID
    value = notice["entry"][0]["changes"][0]["value"]
    value["messages"].append(msg)
    value["contacts"].append(contact)
    assert post_webhook(notice).status_code == 200
    drain()
    assert [(c["id"], c["address"]) for c in customers()] == [(before["id"], new)]


def test_a_new_customers_number_and_bsuid_alone_stored_at_once_are_one(app, post_webhook):
    """Two requests of one new customer in two processes at once, one with their number and
    BSUID, one with the BSUID alone: the second meets the first's uncommitted BSUID, waits for
    it, is refused by the unique index once it commits, and is stored again onto it (200)."""
    with psycopg.connect(db.pool().conninfo) as holder:
        business = _first_business()
        holder.execute(
            "INSERT INTO customers (business_id, channel, address, user_id)"
            " VALUES (%s, 'whatsapp', %s, %s)",
            (business, PHONE, BSUID),
        )  # uncommitted: as another process's statement in flight
        answer: dict = {}
        later = threading.Thread(
            target=lambda: answer.setdefault("r", post_webhook(message("wamid.R2", "hi", None)))
        )
        later.start()
        _until_waiting_for_a_transaction(holder)
        holder.commit()
    later.join(DEADLINE)
    assert answer["r"].status_code == 200
    [customer] = customers()
    assert customer["address"] == PHONE
    stored = db.fetch_one("SELECT customer_id FROM messages WHERE external_id = 'wamid.R2'")
    assert stored["customer_id"] == customer["id"]


NEW_BSUID = "US.20000000000000000001"


def bsuid_change(old: str, new: str, wamid: str = "wamid.UID1", phone: str = "") -> dict:
    """WhatsApp's notice that a user's BSUID changed (`user_changed_user_id`): no contacts, and
    a number only when it can be shared."""
    msg = {
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": "system",
        "system": {
            "body": "User A changed their business-scoped user ID",
            "user_id": new,
            "previous_user_id": old,
            "type": "user_changed_user_id",
        },
    }
    if phone:
        msg["from"] = phone
    notice = envelope(msg, {})
    del notice["entry"][0]["changes"][0]["value"]["contacts"]  # system notices have none
    return notice


def by_bsuid_alone(wamid: str, text: str, bsuid: str) -> dict:
    """A message from the user with their BSUID `bsuid` and no number."""
    env = message(wamid, text, phone=None)
    value = env["entry"][0]["changes"][0]["value"]
    value["messages"][0]["from_user_id"] = value["contacts"][0]["user_id"] = bsuid
    return env


def test_a_changed_bsuid_keeps_a_customer_known_by_it_alone(app, post_webhook, drain, fake_graph):
    """A customer with no number to share gets a new BSUID: they stay one customer, now
    known and answered by the new one."""
    assert post_webhook(message("wamid.U1", "hi, a haircut please", phone=None)).status_code == 200
    drain()
    [before] = customers()
    assert post_webhook(bsuid_change(BSUID, NEW_BSUID)).status_code == 200
    assert post_webhook(by_bsuid_alone("wamid.U2", "is it booked?", NEW_BSUID)).status_code == 200
    drain()
    [after] = customers()
    assert (after["id"], after["address"], after["user_id"]) == (before["id"], NEW_BSUID, NEW_BSUID)
    notice = db.fetch_one("SELECT customer_id, type FROM messages WHERE external_id = 'wamid.UID1'")
    assert notice == {"customer_id": before["id"], "type": "system"}
    assert sends(fake_graph)[-1]["recipient"] == NEW_BSUID


def test_a_changed_bsuid_of_a_customer_with_a_number(app, post_webhook, drain, fake_graph):
    """With their number kept as their address, the new BSUID finds them when they later
    write by it alone; an earlier notice redelivered after a later one does not take it back."""
    assert post_webhook(message("wamid.V1", "hi, a haircut please")).status_code == 200
    drain()
    [before] = customers()
    assert post_webhook(bsuid_change(BSUID, NEW_BSUID)).status_code == 200  # no number shared
    assert post_webhook(by_bsuid_alone("wamid.V2", "is it booked?", NEW_BSUID)).status_code == 200
    drain()
    [after] = customers()
    assert (after["id"], after["address"], after["user_id"]) == (before["id"], PHONE, NEW_BSUID)
    assert sends(fake_graph)[-1]["to"] == PHONE
    newer, newest = "US.30000000000000000003", "US.40000000000000000004"
    first = bsuid_change(NEW_BSUID, newer, wamid="wamid.UID2", phone=PHONE)
    assert post_webhook(first).status_code == 200
    assert (
        post_webhook(bsuid_change(newer, newest, wamid="wamid.UID3", phone=PHONE)).status_code
        == 200
    )
    assert [c["user_id"] for c in customers()] == [newest]
    assert post_webhook(first).status_code == 200  # Meta redelivers the earlier notice
    assert [c["user_id"] for c in customers()] == [newest]


def test_a_number_change_brings_the_new_bsuid(app, post_webhook, drain, fake_graph):
    """A number change makes a new BSUID, which the notice gives: a later message by the new
    BSUID alone is the same customer's, answered at the new number."""
    assert post_webhook(message("wamid.W1", "hi, a haircut please")).status_code == 200
    drain()
    [before] = customers()
    new = "972912345678"
    notice = number_change(PHONE, new)
    notice["entry"][0]["changes"][0]["value"]["messages"][0]["system"].update(
        user_id=NEW_BSUID, previous_user_id=BSUID
    )
    assert post_webhook(notice).status_code == 200
    assert post_webhook(by_bsuid_alone("wamid.W2", "still on?", NEW_BSUID)).status_code == 200
    drain()
    [after] = customers()
    assert (after["id"], after["address"], after["user_id"]) == (before["id"], new, NEW_BSUID)
    assert sends(fake_graph)[-1]["to"] == new


def test_a_changed_bsuid_already_another_customers_is_not_merged(app, post_webhook, drain):
    """The new BSUID wrote first (the notice came late) and is a customer of its own: the two
    are not merged, and neither loses their id."""
    assert post_webhook(message("wamid.X1", "hi", phone=None)).status_code == 200
    assert post_webhook(by_bsuid_alone("wamid.X2", "hello", NEW_BSUID)).status_code == 200
    assert post_webhook(bsuid_change(BSUID, NEW_BSUID)).status_code == 200
    assert sorted((c["address"], c["user_id"]) for c in customers()) == [
        (BSUID, BSUID),
        (NEW_BSUID, NEW_BSUID),
    ]


NEW_PHONE, THIRD_PHONE = "972912345678", "972955555555"
NEWEST = "US.40000000000000000004"


def with_ids(notice: dict, new_user: str, previous_user: str) -> dict:
    """A number-change notice as Meta sends it since August 2026: with the new BSUID the
    change made and the previous one."""
    system = notice["entry"][0]["changes"][0]["value"]["messages"][0]["system"]
    system.update(user_id=new_user, previous_user_id=previous_user)
    return notice


def known_by_bsuid_then_with_number(post_webhook, drain) -> None:
    """A customer who first wrote by their BSUID alone (their address) and later with their
    number too (the address stays the BSUID)."""
    assert post_webhook(message("wamid.K1", "hello", phone=None)).status_code == 200
    assert post_webhook(message("wamid.K2", "hello again")).status_code == 200
    drain()
    assert [c["address"] for c in customers()] == [BSUID]


def test_a_customer_addressed_by_a_bsuid_it_changed_is_answered_by_number(
    app, post_webhook, drain, fake_graph
):
    known_by_bsuid_then_with_number(post_webhook, drain)
    notice = bsuid_change(BSUID, NEW_BSUID, wamid="wamid.K3", phone=PHONE)
    assert post_webhook(notice).status_code == 200
    assert post_webhook(by_bsuid_alone("wamid.K4", "is it booked?", NEW_BSUID)).status_code == 200
    drain()
    [after] = customers()
    assert (after["address"], after["user_id"]) == (PHONE, NEW_BSUID)
    assert sends(fake_graph)[-1]["to"] == PHONE


def test_a_customer_addressed_by_their_bsuid_follows_a_number_change(
    app, post_webhook, drain, fake_graph
):
    known_by_bsuid_then_with_number(post_webhook, drain)
    notice = with_ids(number_change(PHONE, NEW_PHONE, wamid="wamid.K3"), NEW_BSUID, BSUID)
    assert post_webhook(notice).status_code == 200
    assert post_webhook(by_bsuid_alone("wamid.K4", "still on?", NEW_BSUID)).status_code == 200
    drain()
    [after] = customers()
    assert (after["address"], after["user_id"]) == (NEW_PHONE, NEW_BSUID)
    assert sends(fake_graph)[-1]["to"] == NEW_PHONE


def test_a_redelivered_number_change_after_changing_back_moves_nobody(app, post_webhook):
    assert post_webhook(message("wamid.C1", "hi")).status_code == 200
    first = with_ids(number_change(PHONE, NEW_PHONE, wamid="wamid.C2"), NEW_BSUID, BSUID)
    assert post_webhook(first).status_code == 200
    back = with_ids(number_change(NEW_PHONE, PHONE, wamid="wamid.C3"), NEWEST, NEW_BSUID)
    assert post_webhook(back).status_code == 200
    assert post_webhook(first).status_code == 200  # redelivered (Meta retries for days)
    [c] = customers()
    assert (c["address"], c["user_id"]) == (PHONE, NEWEST)


def test_a_redelivered_number_change_does_not_move_the_numbers_next_holder(app, post_webhook):
    """The customer changed number twice; their first number went to someone else (their own
    BSUID), who writes. The first notice redelivered leaves that other customer where they are."""
    assert post_webhook(message("wamid.D1", "hi")).status_code == 200
    first = with_ids(number_change(PHONE, NEW_PHONE, wamid="wamid.D2"), NEW_BSUID, BSUID)
    assert post_webhook(first).status_code == 200
    second = with_ids(number_change(NEW_PHONE, THIRD_PHONE, wamid="wamid.D3"), NEWEST, NEW_BSUID)
    assert post_webhook(second).status_code == 200
    other = message("wamid.D4", "hello, new here")
    value = other["entry"][0]["changes"][0]["value"]
    value["messages"][0]["from_user_id"] = value["contacts"][0]["user_id"] = "US.77777777777"
    assert post_webhook(other).status_code == 200
    assert post_webhook(first).status_code == 200  # redelivered
    rows = {c["user_id"]: c["address"] for c in customers()}
    assert rows == {NEWEST: THIRD_PHONE, "US.77777777777": PHONE}


def test_bsuid_notices_out_of_order_and_the_next_message_with_the_number(app, post_webhook):
    """Meta delivers the later change first: it names an id the customer does not have yet, so
    it changes nothing (applied, a late earlier one could not be told from it and would take
    the id back); the earlier one is applied; their next message with their number carries
    their current BSUID, which then is theirs."""
    assert post_webhook(message("wamid.E1", "hi, a haircut please")).status_code == 200
    [before] = customers()
    later = bsuid_change(NEW_BSUID, NEWEST, wamid="wamid.E3", phone=PHONE)
    assert post_webhook(later).status_code == 200
    earlier = bsuid_change(BSUID, NEW_BSUID, wamid="wamid.E2", phone=PHONE)
    assert post_webhook(earlier).status_code == 200
    assert [c["user_id"] for c in customers()] == [NEW_BSUID]
    current = message("wamid.E4", "is my booking ok?")
    value = current["entry"][0]["changes"][0]["value"]
    value["messages"][0]["from_user_id"] = value["contacts"][0]["user_id"] = NEWEST
    assert post_webhook(current).status_code == 200
    assert post_webhook(by_bsuid_alone("wamid.E5", "and now?", NEWEST)).status_code == 200
    assert [(c["id"], c["user_id"]) for c in customers()] == [(before["id"], NEWEST)]


def test_an_erased_customers_old_bsuid_notice_makes_no_customer(app, post_webhook, drain):
    sent = time.time() - 120
    assert post_webhook(message("wamid.F1", "hi", phone=None, sent=sent)).status_code == 200
    drain()
    [customer] = customers()
    with app.app_context():
        assert erasure.erase(_business(customer["id"]), customer["id"], by="customer")["erased"]
    # A notice written before the erasure, delivered (or redelivered) after it.
    notice = bsuid_change(BSUID, NEW_BSUID, wamid="wamid.F2")
    notice["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(int(sent + 30))
    assert post_webhook(notice).status_code == 200
    assert [c["id"] for c in customers()] == [customer["id"]]
    assert db.fetch_one("SELECT 1 FROM messages WHERE external_id = 'wamid.F2'") is None


def _first_business() -> int:
    return db.fetch_one("SELECT id FROM businesses ORDER BY id LIMIT 1")["id"]


def _until_waiting_for_a_transaction(holder) -> None:
    """Until another session waits on `holder`'s transaction (its uncommitted row)."""
    deadline = time.monotonic() + DEADLINE
    pid = holder.info.backend_pid
    while time.monotonic() < deadline:
        row = db.fetch_one(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            (pid,),
        )
        if row["n"]:
            return
        time.sleep(0.02)  # polling another session's state; the deadline is generous
    raise AssertionError("no session came to wait for the held row")
