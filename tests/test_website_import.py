"""Importing a business's website: the allowed facts land in a new document version; what robots.txt
forbids, other hosts, internal addresses, huge and slow pages are never read; limits hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.knowledge.importer import ImportFailed, import_website
from app.storage import businesses, db
from tests import envelopes
from tests.fake_llm import last_user_text, system_prompt, text_reply
from tests.fake_site import FakeSite, endless, page, redirect, stalled

ROOT = Path(__file__).resolve().parent.parent
PARKING = "Free parking is available in the Plaza Mayor garage behind the salon."
POLICY = "You can cancel for free up to 24 hours before your appointment."


def html(body: str, title: str = "") -> str:
    return f"<html><head><title>{title}</title></head><body><main>{body}</main></body></html>"


@pytest.fixture
def servers(release):
    """The salon's site, another host it redirects to, and an internal server it links to."""
    other = FakeSite({"/elsewhere": page(html("<p>OTHER-HOST partner offers</p>"))})
    internal = FakeSite({"/admin": page(html("<p>INTERNAL admin panel</p>"))})
    site = FakeSite()
    site.routes.update(
        {
            "/robots.txt": page("User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
            "/": page(
                f"""<html><head><title>Demo Salon</title></head><body>
                <nav><a href="/hours">Opening hours</a> <a href="/parking">Parking</a>
                <a href="/policies">Policies</a> <a href="/private/staff">Staff</a>
                <a href="/gallery">Gallery</a> <a href="/partners">Partners</a>
                <a href="{internal.origin}/admin">Admin</a> <a href="mailto:hi@demo.test">Mail</a>
                <a href="/brochure.pdf">Brochure</a> <a href="/slow">News</a></nav>
                <main><h1>Welcome</h1><p>Demo Salon is a friendly hair salon in Madrid.</p>
                <h2>Services</h2><ul><li>Haircut: 25 €</li><li>Beard trim: 15 €</li></ul></main>
                <footer><address>Calle Mayor 1, 28013 Madrid</address></footer></body></html>"""
            ),
            "/hours": page(
                html(
                    "<h1>Opening hours</h1><ul><li>Monday to Friday: 9:00–18:00</li>"
                    "<li>Saturday: 10:00–15:00</li><li>Sunday: closed</li></ul>",
                    title="Opening hours",
                )
            ),
            "/parking": page(html(f"<h1>Parking</h1><p>{PARKING}</p>")),
            "/policies": page(html(f"<h1>Cancellation policy</h1><p>{POLICY}</p>")),
            "/private/staff": page(html("<p>SECRET staff door code 4471</p>")),
            "/gallery": endless(html("<p>HUGE-PAGE gallery of our work</p>"), 5_000_000),
            "/partners": redirect(other.origin + "/elsewhere"),
            "/slow": stalled(release, html("<p>SLOW-PAGE news</p>")),
        }
    )
    yield site, other, internal
    for server in (site, other, internal):
        server.stop()


def site_config(site: FakeSite, *others: FakeSite, **limits) -> dict:
    """Settings that allow exactly these local origins, with test-sized limits."""
    return {
        "WEBSITE_IMPORT_ALLOWED_HOSTS": frozenset(("127.0.0.1", s.port) for s in (site, *others)),
        "WEBSITE_IMPORT_PROXIES": {},
        "WEBSITE_IMPORT_MAX_PAGE_BYTES": 200_000,
        "WEBSITE_IMPORT_PAGE_TIMEOUT": 2.0,
        **limits,
    }


@pytest.fixture
def app(app_config, servers):
    """The app without a model key (the document is written extractively), the site allowed."""
    from app import create_app

    site, other, _ = servers
    flask_app = create_app({**app_config, "OPENAI_API_KEY": "", **site_config(site, other)})
    businesses.seed_demo(envelopes.PHONE_NUMBER_ID)
    yield flask_app
    db.close_pool()


def demo() -> dict:
    business_id = businesses.business_id_for_account("whatsapp_number_id", "123456123")
    return businesses.get_business(business_id)


def test_the_document_holds_the_allowed_facts_only(app, servers):
    site, other, internal = servers
    result = import_website(app.config, demo(), site.origin + "/")
    text = result.content
    for fact in [PARKING, POLICY, "Saturday: 10:00–15:00", "Haircut: 25 €", "Calle Mayor 1"]:
        assert fact in text
    for forbidden in ["SECRET", "HUGE-PAGE", "SLOW-PAGE", "OTHER-HOST", "INTERNAL"]:
        assert forbidden not in text
    # Menu entries ("Hours", "Opening hours") are not facts.
    assert "- Opening hours\n" not in text
    # Never requested: the robots.txt-disallowed page, the PDF, anything on another host.
    assert site.paths == [
        "/robots.txt",
        "/",
        "/hours",
        "/parking",
        "/policies",
        "/gallery",
        "/partners",
        "/slow",
    ]
    assert other.paths == []
    assert internal.paths == []
    skipped = {
        s["url"].removeprefix(site.origin): (s["code"], s["reason"])
        for s in result.report["skipped"]
    }
    assert skipped == {
        f"{internal.origin}/admin": ("other_site", "on another site"),
        "/private/staff": ("robots_disallowed", "disallowed by robots.txt"),
        "/gallery": ("page_too_large", "larger than 200000 bytes"),
        "/partners": ("other_site", "on another site"),
        "/slow": ("site_too_slow", "too slow: the time limit passed before it answered"),
    }
    assert (result.report["stopped"], result.report["stopped_code"]) == (None, None)
    assert [p["url"].removeprefix(site.origin) for p in result.report["pages"]] == [
        "/",
        "/hours",
        "/parking",
        "/policies",
    ]
    assert (result.version, result.report["written_by"]) == (1, "extractive")


def test_the_document_is_stored_as_a_version_and_its_conflicts_are_found(app, servers):
    site = servers[0]
    result = import_website(app.config, demo(), site.origin + "/")
    row = db.fetch_one("SELECT version, source, source_url, content FROM reference_documents")
    assert row == {
        "version": 1,
        "source": "import",
        "source_url": site.origin + "/",
        "content": result.content,
    }
    assert result.conflicts == [
        {
            "field": "services.Beard trim.price",
            "configured": "12.00 EUR",
            "document": "15.00",
            "text": "Beard trim: 15 €",
        },
        {
            "field": "opening_hours.sat",
            "configured": "10:00–14:00",
            "document": "10:00–15:00",
            "text": "Saturday: 10:00–15:00",
        },
    ]
    again = import_website(app.config, demo(), site.origin + "/")
    assert again.version == 2


def test_page_limit(app, servers):
    site = servers[0]
    app.config["WEBSITE_IMPORT_MAX_PAGES"] = 3
    result = import_website(app.config, demo(), site.origin + "/")
    assert site.paths == ["/robots.txt", "/", "/hours", "/parking"]
    assert result.report["stopped"] == "page limit (3) reached"
    assert result.report["stopped_code"] == "page_limit"


def test_byte_limit_for_the_whole_import(app, servers):
    site = servers[0]
    home = html('<p>Our pages: <a href="/hours">hours</a>, <a href="/parking">parking</a>.</p>')
    site.routes["/"] = page(home)
    app.config["WEBSITE_IMPORT_MAX_TOTAL_BYTES"] = len(home) + 50  # the home page, not /hours
    result = import_website(app.config, demo(), site.origin + "/")
    assert site.paths == ["/robots.txt", "/", "/hours"]
    assert result.report["bytes_read"] == len(home)
    assert result.report["skipped"][-1] == {
        "url": site.origin + "/hours",
        "reason": "larger than 50 bytes",
        "code": "page_too_large",
    }
    assert result.report["stopped"] == f"byte limit ({len(home) + 50}) reached"
    assert result.report["stopped_code"] == "byte_limit"


def test_time_limit_for_the_whole_import(app, servers):
    site = servers[0]
    # This process's page reader started first (about half a second, more on a busy machine),
    # so that the 1.5 s below go to reading the site, not to starting one.
    site.routes["/warm"] = page(html("<p>Open daily.</p>"))
    import_website(app.config, demo(), site.origin + "/warm")
    site.requests.clear()
    site.routes["/"] = page(html('<p>See our <a href="/slow">news</a> first.</p>'))
    app.config.update(WEBSITE_IMPORT_TIME_LIMIT=1.5, WEBSITE_IMPORT_PAGE_TIMEOUT=30.0)
    result = import_website(app.config, demo(), site.origin + "/")
    assert site.paths == ["/robots.txt", "/", "/slow"]
    assert result.report["stopped"] == "time limit reached"
    assert result.report["stopped_code"] == "time_limit"
    assert result.report["skipped"][-1] == {
        "url": site.origin + "/slow",
        "reason": "too slow: the time limit passed before it answered",
        "code": "site_too_slow",
    }


@pytest.mark.parametrize("status", [404, 410])
def test_a_missing_robots_txt_allows_everything(app, servers, status):
    site = servers[0]
    site.routes["/robots.txt"] = page("gone", status=status)
    result = import_website(app.config, demo(), site.origin + "/")
    assert "/private/staff" in site.paths
    assert "SECRET staff door code 4471" in result.content


def test_an_unreadable_robots_txt_allows_nothing(app, servers):
    site = servers[0]
    site.routes["/robots.txt"] = page("oops", status=503)
    with pytest.raises(ImportFailed) as failed:
        import_website(app.config, demo(), site.origin + "/")
    assert str(failed.value) == (
        f"no page of {site.origin}/ could be read: {site.origin}/robots.txt: robots.txt"
        f" unreadable: HTTP 503; {site.origin}/: robots.txt of this site could not be read"
    )
    assert site.paths == ["/robots.txt"]
    assert db.fetch_one("SELECT count(*) AS n FROM reference_documents")["n"] == 0


def test_a_start_url_at_an_internal_address_imports_nothing(app, servers):
    internal = servers[2]
    with pytest.raises(ImportFailed) as failed:
        import_website(app.config, demo(), internal.origin + "/admin")
    assert str(failed.value) == (
        f"{internal.origin}/admin cannot be imported: 127.0.0.1 is not a public address"
    )
    assert failed.value.field == "url"
    assert internal.paths == []


# --- With a model ----------------------------------------------------------------------------


@pytest.fixture
def model_app(app_config, servers):
    """The app with the fake model's key."""
    from app import create_app

    site, other, _ = servers
    flask_app = create_app({**app_config, **site_config(site, other)})
    businesses.seed_demo(envelopes.PHONE_NUMBER_ID)
    yield flask_app
    db.close_pool()


def test_the_model_writes_the_document_from_the_allowed_pages(model_app, servers, fake_llm):
    site = servers[0]
    written = f"## Parking and getting here\n- {PARKING}"
    fake_llm.script.append(text_reply(written))
    with model_app.app_context():  # the app's model clients live in its extensions
        result = import_website(model_app.config, demo(), site.origin + "/")
    assert len(fake_llm.requests) == 1
    pages = last_user_text(fake_llm.requests[0])
    assert PARKING in pages and POLICY in pages
    assert "SECRET" not in pages and "SLOW-PAGE" not in pages
    assert "Use only facts the pages state." in system_prompt(fake_llm.requests[0])
    assert result.report["written_by"] == "model"
    assert result.content.split("\n\n")[1] == written
    usage = db.fetch_all(
        "SELECT turn_id, purpose, model, prompt_tokens, completion_tokens FROM model_usage"
    )
    assert usage == [
        {
            "turn_id": None,
            "purpose": "import",
            "model": "gpt-4o-mini",
            "prompt_tokens": 10,
            "completion_tokens": 5,
        }
    ]


def test_over_budget_the_document_is_written_without_the_model(model_app, servers, fake_llm):
    site = servers[0]
    business = {**demo(), "monthly_token_budget": 0}
    result = import_website(model_app.config, business, site.origin + "/")
    assert fake_llm.requests == []
    assert result.report["written_by"] == "extractive"
    assert PARKING in result.content


# --- The command line ------------------------------------------------------------------------


def flask_cli(db_url: str, allowed: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`flask --app app ARGS` in a fresh process, as an operator runs it."""
    base = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": db_url,
        "WEBSITE_IMPORT_ALLOWED_HOSTS": allowed,
        "WEBSITE_IMPORT_MAX_PAGE_BYTES": "200000",
        "WEBSITE_IMPORT_PAGE_TIMEOUT": "2",
        "LANGFUSE_TRACING_ENABLED": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_command_imports_and_reports(app, servers, db_url):
    site, other, _ = servers
    allowed = f"127.0.0.1:{site.port},127.0.0.1:{other.port}"
    done = flask_cli(
        db_url, allowed, "import-website", str(demo()["id"]), site.origin + "/", MOCK_MODE="true"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(
        f"imported {site.origin}/ into Demo Salon: reference document version 1 (4 pages read, "
    )
    assert lines[0].endswith(" characters, written extractively)")
    assert f"skipped {site.origin}/private/staff: disallowed by robots.txt" in lines
    assert (
        "conflict (the settings win): opening_hours.sat is 10:00–14:00, the site says 10:00–15:00"
    ) in lines
    assert db.fetch_one("SELECT max(version) AS v FROM reference_documents")["v"] == 1


def test_command_says_which_robots_txt_it_obeyed_in_part(app, servers, db_url):
    site = servers[0]
    long = "User-agent: *\nDisallow: /private/\n" + "# a sitemap pasted in\n" * 25_000
    site.routes["/robots.txt"] = page(long + "Disallow: /\n", content_type="text/plain")
    allowed = f"127.0.0.1:{site.port}"
    done = flask_cli(
        db_url, allowed, "import-website", str(demo()["id"]), site.origin + "/", MOCK_MODE="true"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert (
        f"obeyed {site.origin}/robots.txt up to its first 512000 bytes (RFC 9309's limit),"
        " not the rest"
    ) in lines
    assert f"skipped {site.origin}/private/staff: disallowed by robots.txt" in lines


PRODUCTION = {
    "MOCK_MODE": "false",
    "APP_SECRET": "cli-app-secret",
    "VERIFY_TOKEN": "cli-verify-token",
    "SECRET_KEY": "cli-secret-key",
    "OPENAI_API_KEY": "never-used-here",
}


@pytest.mark.parametrize(
    "business, url, message, logged",
    [
        (
            "demo",
            "http://127.0.0.1:9/admin",
            "Error: http://127.0.0.1:9/admin cannot be imported: 127.0.0.1 is not a public address",
            "website import refused 127.0.0.1, which resolves to a loopback address (127.0.0.1)",
        ),
        (
            "demo",
            "ftp://example.com/",
            "Error: ftp://example.com/ cannot be imported: "
            "only http and https URLs can be imported",
            None,
        ),
        ("987654", "https://example.com/", "Error: no business with id 987654", None),
    ],
)
def test_command_fails_with_one_line(app, db_url, business, url, message, logged):
    """One line says why; what an internal address is, only the log says (as the server's does)."""
    business_id = str(demo()["id"]) if business == "demo" else business
    done = flask_cli(db_url, "", "import-website", business_id, url, **PRODUCTION)
    *log, said = done.stderr.splitlines()
    assert (done.returncode, done.stdout, said) == (1, "", message)
    assert [json.loads(line)["message"] for line in log] == ([logged] if logged else [])
