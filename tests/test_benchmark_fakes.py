"""The benchmarks' own fakes answer as the tests' fakes do (a broken fake reads as lost
messages in the soak's report rather than failing)."""

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
