"""The reference document in the admin API: read, edit (a version each), import, conflicts."""

from __future__ import annotations

import re
import socket

import pytest
from jsonschema import Draft202012Validator

from app.admin.openapi import spec
from app.knowledge import guard
from app.storage import db, knowledge
from app.storage.db import transaction
from tests import envelopes
from tests.fake_llm import system_prompt
from tests.fake_site import FakeSite, page, redirect

PARKING = "Free parking is available in the Plaza Mayor garage behind the salon."


@pytest.fixture
def path(world) -> str:
    return f"/businesses/{world.business_id}/reference-document"


@pytest.fixture
def site(app):
    """The salon's website, which the app may import."""
    server = FakeSite(
        {
            "/robots.txt": page("User-agent: *\nAllow: /\n", content_type="text/plain"),
            "/": page(
                "<main><h1>Parking</h1><p>" + PARKING + '</p><a href="/hours">Hours</a></main>'
            ),
            "/hours": page("<main><ul><li>Saturday: 10:00–16:00</li></ul></main>"),
        }
    )
    app.config["WEBSITE_IMPORT_ALLOWED_HOSTS"] = frozenset({("127.0.0.1", server.port)})
    app.config["WEBSITE_IMPORT_PROXIES"] = {}
    app.config["OPENAI_API_KEY"] = ""  # written extractively
    yield server
    server.stop()


def audit_rows() -> list[dict]:
    return db.fetch_all(
        "SELECT action, entity, after FROM audit_log WHERE entity = 'reference_document'"
        " ORDER BY id"
    )


def test_a_business_without_a_document(api, path):
    body = api("GET", path, "staff").get_json()
    assert (body["version"], body["content"], body["conflicts"]) == (None, "", [])
    assert api("GET", path + "/versions", "staff").get_json() == {"versions": []}


def test_each_edit_is_a_new_version(api, path, world):
    first = api("PUT", path, json={"content": "  - Parking behind the salon.  "})
    assert first.status_code == 200
    assert (first.get_json()["version"], first.get_json()["content"]) == (
        1,
        "- Parking behind the salon.",
    )
    second = api("PUT", path, json={"content": "- Parking on Calle Luna."}).get_json()
    assert (second["version"], second["source"], second["created_by"]) == (
        2,
        "edit",
        "owner@example.com",
    )
    versions = api("GET", path + "/versions", "staff").get_json()["versions"]
    assert [(v["version"], v["source"], v["chars"]) for v in versions] == [
        (2, "edit", 24),
        (1, "edit", 27),
    ]
    old = api("GET", path, "staff", query_string={"version": 1}).get_json()
    assert old["content"] == "- Parking behind the salon."
    assert api("GET", path, "staff").get_json()["content"] == "- Parking on Calle Luna."
    assert api("GET", path, query_string={"version": 9}).status_code == 404
    assert [(r["action"], r["after"]) for r in audit_rows()] == [
        ("edit", {"version": 1, "chars": 27}),
        ("edit", {"version": 2, "chars": 24}),
    ]


def test_conflicts_with_the_settings_are_shown(api, path):
    content = "## Services\n- Haircut: 30 €\n- Beard trim: 12 €\n## Hours\n- Sunday: 10:00–14:00"
    body = api("PUT", path, json={"content": content}).get_json()
    assert body["conflicts"] == [
        {
            "field": "services.Haircut.price",
            "configured": "25.00 EUR",
            "document": "30.00",
            "text": "Haircut: 30 €",
        },
        {
            "field": "opening_hours.sun",
            "configured": "closed",
            "document": "10:00–14:00",
            "text": "Sunday: 10:00–14:00",
        },
    ]


@pytest.mark.parametrize(
    "body, fields",
    [
        ({}, {"content": "must be a string"}),
        ({"content": 5}, {"content": "must be a string"}),
        ({"content": "x" * 20_001}, {"content": "at most 20000 characters"}),
        ({"content": "ok", "extra": 1}, {"extra": "unknown field"}),
    ],
)
def test_bad_edits_name_the_field(api, path, body, fields):
    resp = api("PUT", path, json=body)
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == fields


def test_the_console_import_stores_a_version(api, path, site):
    resp = api("POST", path + "/import", json={"url": site.origin + "/"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["version"], body["source"], body["source_url"]) == (1, "import", site.origin + "/")
    assert PARKING in body["content"]
    assert [p["url"] for p in body["report"]["pages"]] == [
        site.origin + "/",
        site.origin + "/hours",
    ]
    assert body["conflicts"] == [
        {
            "field": "opening_hours.sat",
            "configured": "10:00–14:00",
            "document": "10:00–16:00",
            "text": "Saturday: 10:00–16:00",
        }
    ]
    assert [(r["action"], r["after"]) for r in audit_rows()] == [
        ("import", {"version": 1, "url": site.origin + "/"}),
    ]


def documented(body: dict) -> list[str]:
    """What in `body` the OpenAPI ReferenceDocument schema does not allow."""
    schema = {"$ref": "#/components/schemas/ReferenceDocument", "components": spec()["components"]}
    return [e.message for e in Draft202012Validator(schema).iter_errors(body)]


def test_the_import_report_names_why_by_code(app, api, path, site):
    links = '<a href="/gone">Old offers</a> <a href="/hours">Hours</a> <a href="/more">More</a>'
    site.routes["/"] = page(f"<main><p>{PARKING}</p>{links}</main>")
    app.config["WEBSITE_IMPORT_MAX_PAGES"] = 3  # "/", "/gone", "/hours": "/more" waits
    assert api("POST", path + "/import", json={"url": site.origin + "/"}).status_code == 201
    body = api("GET", path, "staff").get_json()
    assert body["report"]["skipped"] == [
        {"url": site.origin + "/gone", "reason": "HTTP 404", "code": "http_error"}
    ]
    stopped = (body["report"]["stopped"], body["report"]["stopped_code"])
    assert stopped == ("page limit (3) reached", "page_limit")
    assert documented(body) == []


def test_a_report_stored_before_the_codes_is_served_as_it_was(api, path, world):
    old = {
        "start_url": "https://salon.example/",
        "pages": [{"url": "https://salon.example/", "title": "Salon", "chars": 120}],
        "skipped": [{"url": "https://salon.example/x", "reason": "HTTP 404"}],
        "stopped": "time limit reached",
        "requests": 2,
        "bytes_read": 900,
        "written_by": "extractive",
    }
    with transaction() as conn:
        knowledge.add_version(conn, world.business_id, "- Parking.", "import", report=old)
    body = api("GET", path, "staff").get_json()
    assert body["report"] == old
    assert documented(body) == []


@pytest.mark.parametrize(
    "url, message, reason",
    [
        ("http://127.0.0.1:9/", "http://127.0.0.1:9/ cannot be imported: 127.0.0.1 is not a"
         " public address", "private_address"),
        ("http://169.254.169.254/latest/", "http://169.254.169.254/latest/ cannot be imported:"
         " 169.254.169.254 is not a public address", "private_address"),
        ("http://localhost:8000/", "http://localhost:8000/ cannot be imported: localhost is not a"
         " public address", "private_address"),
        ("file:///etc/passwd", "only http and https URLs can be imported", "not_http"),
        ("https://user:pw@example.com/", "the URL must not contain a user name or password",
         "url_credentials"),
        ("https://www.example .com/", "the URL contains blanks or control characters", "bad_url"),
        ("https:///about", "the URL has no host", "bad_url"),
        ("", "must be 1 to 2000 characters", "bad_url"),
    ],
)  # fmt: skip
def test_an_unsafe_url_is_a_400_naming_url(api, path, site, url, message, reason):
    resp = api("POST", path + "/import", json={"url": url})
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {"url": message}
    assert resp.get_json()["reason"] == reason
    assert audit_rows() == []


def test_a_name_that_does_not_resolve_is_a_400_naming_url(api, path, monkeypatch):
    def getaddrinfo(host, port, **kwargs):
        raise socket.gaierror(f"unknown test name {host}")

    monkeypatch.setattr(guard, "_getaddrinfo", getaddrinfo)
    resp = api("POST", path + "/import", json={"url": "https://salon.invalid/"})
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {
        "url": "https://salon.invalid/ cannot be imported: cannot resolve salon.invalid"
    }
    assert resp.get_json()["reason"] == "unknown_host"


def test_a_public_host_on_another_port_is_a_400_naming_url(api, path, monkeypatch):
    def getaddrinfo(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(guard, "_getaddrinfo", getaddrinfo)
    resp = api("POST", path + "/import", json={"url": "https://salon.example:8443/"})
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {
        "url": "https://salon.example:8443/ cannot be imported: only ports 80 and 443 can be"
        " imported, not 8443"
    }
    assert resp.get_json()["reason"] == "port_not_allowed"
    route = spec()["paths"]["/api/admin/businesses/{business_id}/reference-document/import"]
    schema = route["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    schema = {**schema, "components": spec()["components"]}
    assert [e.message for e in Draft202012Validator(schema).iter_errors(resp.get_json())] == []


def test_a_site_that_cannot_be_read_is_a_422(api, path, site):
    site.routes["/robots.txt"] = page("down", status=500)
    resp = api("POST", path + "/import", json={"url": site.origin + "/"})
    assert resp.status_code == 422
    assert resp.get_json()["message"].startswith(f"no page of {site.origin}/ could be read: ")
    assert resp.get_json()["reason"] == "robots_unreadable"
    assert db.fetch_one("SELECT count(*) AS n FROM reference_documents")["n"] == 0


ELSEWHERE = "http://127.0.0.1:9"  # another site (another port), never contacted


@pytest.mark.parametrize(
    "routes, reason, why",
    [
        ({"/": page("<p>Moved away.</p>", status=404)}, "http_error", "HTTP 404"),
        ({"/": page("PNG", content_type="image/png")}, "not_a_page", "not a web page (image/png)"),
        ({"/": redirect("/")}, "too_many_redirects", "more than 5 redirects"),
        ({"/": redirect(ELSEWHERE + "/")}, "other_site", "on another site"),
        (
            {"/robots.txt": page("User-agent: *\nDisallow: /\n", content_type="text/plain")},
            "robots_disallowed",
            "disallowed by robots.txt",
        ),
        (
            {"/robots.txt": redirect(ELSEWHERE + "/robots.txt")},
            "robots_unreadable",
            "robots.txt of this site could not be read",
        ),
    ],
)
def test_why_no_page_could_be_read_is_a_reason(api, path, site, routes, reason, why):
    site.routes.update(routes)
    resp = api("POST", path + "/import", json={"url": site.origin + "/"})
    assert resp.status_code == 422
    assert resp.get_json()["message"].endswith(f"{site.origin}/: {why}")
    assert resp.get_json()["reason"] == reason


def test_a_page_larger_than_the_limit_is_a_422_page_too_large(app, api, path, site):
    app.config["WEBSITE_IMPORT_MAX_PAGE_BYTES"] = 20
    resp = api("POST", path + "/import", json={"url": site.origin + "/"})
    assert resp.status_code == 422
    assert resp.get_json()["message"].endswith(f"{site.origin}/: larger than 20 bytes")
    assert resp.get_json()["reason"] == "page_too_large"


def test_a_site_that_is_down_is_a_422_site_unreachable(app, api, path):
    with socket.socket() as probe:  # a port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config["WEBSITE_IMPORT_ALLOWED_HOSTS"] = frozenset({("127.0.0.1", port)})
    app.config["WEBSITE_IMPORT_PROXIES"] = {}
    resp = api("POST", path + "/import", json={"url": f"http://127.0.0.1:{port}/"})
    assert resp.status_code == 422
    assert "robots.txt unreadable: cannot connect" in resp.get_json()["message"]
    assert resp.get_json()["reason"] == "site_unreachable"


def test_a_site_whose_tls_fails_is_a_422_tls_failed(api, path, site):
    url = f"https://127.0.0.1:{site.port}/"  # a plain HTTP server: no TLS handshake
    resp = api("POST", path + "/import", json={"url": url})
    assert resp.status_code == 422
    assert "robots.txt unreadable: TLS failed" in resp.get_json()["message"]
    assert resp.get_json()["reason"] == "tls_failed"


def test_a_crawl_stopped_before_its_first_page_is_a_422_site_unreadable(app, api, path, site):
    app.config["WEBSITE_IMPORT_MAX_PAGES"] = 0
    resp = api("POST", path + "/import", json={"url": site.origin + "/"})
    assert resp.status_code == 422
    assert resp.get_json()["message"].endswith(": page limit (0) reached")
    assert resp.get_json()["reason"] == "site_unreadable"


def test_the_edited_document_reaches_the_bots_next_turn(api, path, post_webhook, drain, fake_llm):
    assert post_webhook(envelopes.text("hello")).status_code == 200
    drain()
    api("PUT", path, json={"content": "## Parking\n- " + PARKING})
    assert post_webhook(envelopes.text("parking?")).status_code == 200
    drain()
    assert f"## Parking\n- {PARKING}" in system_prompt(fake_llm.requests[-1])


def test_the_prompt_preview_shows_the_document(api, path, world):
    api("PUT", path, json={"content": "- " + PARKING})
    preview = api("GET", f"/businesses/{world.business_id}/prompt-preview").get_json()
    end = re.escape(f"- {PARKING}\n(End of the reference document ") + r"\w+\.\)"
    assert re.search(end, preview["system_prompt"])
