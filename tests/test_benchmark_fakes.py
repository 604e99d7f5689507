"""The benchmarks' own fakes answer as the tests' fakes do (a broken fake reads as lost
messages in the soak's report rather than failing), and their machine readings add up."""

import time

import requests

from benchmarks.soak import TimedGraph


def test_the_soaks_timed_graph_accepts_a_send_and_notes_it():
    graph = TimedGraph().start()
    try:
        response = requests.post(
            f"{graph.base_url}/v21.0/123456123/messages",
            json={
                "messaging_product": "whatsapp",
                "to": "34600000001",
                "type": "text",
                "text": {"body": "hello m1-1"},
            },
            headers={"Authorization": "Bearer token"},
            timeout=10,
        )
    finally:
        graph.stop()
    assert response.status_code == 200
    wamid = response.json()["messages"][0]["id"]
    assert [(to, body, sent) for _, to, body, sent in graph.accepted] == [
        ("34600000001", "hello m1-1", wamid)
    ]


def test_idle_percent_is_the_share_of_ticks_the_machine_left_idle():
    from benchmarks.common import idle_percent, machine_ticks

    assert idle_percent((10, 100), (40, 200)) == 30.0
    assert idle_percent((10, 100), (10, 100)) == 0.0  # no tick between: nothing to divide
    before = machine_ticks()
    deadline = time.monotonic() + 30
    while machine_ticks()[1] == before[1] and time.monotonic() < deadline:
        sum(range(10_000))  # keep a core busy until the kernel counts a tick
    after = machine_ticks()
    assert after[1] > before[1] and 0.0 <= idle_percent(before, after) <= 100.0
