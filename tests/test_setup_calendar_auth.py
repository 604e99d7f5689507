"""setup_calendar_auth.py against the fake Google: OAuth sign-in, calendar choice, storage."""

import json
import threading
import urllib.request
import webbrowser

import pytest

import setup_calendar_auth
from app.calendars.google_settings import credentials_from
from app.secrets import decrypt
from app.storage import db
from tests.conftest import PHONE_NUMBER_ID, SECRET_KEY
from tests.fake_gcal.accounts import CAL, CLIENT_ID, CLIENT_SECRET, OWNER, service_account_info
from tests.fixtures_booking import make_business

pytest_plugins = ["tests.fake_gcal.fixtures"]


@pytest.fixture
def cli(app, gcal, tmp_path, monkeypatch, db_url):
    """Run the command with the fake's endpoints; answers come from `cli.answers`."""
    gcal.clients[CLIENT_ID] = CLIENT_SECRET
    gcal.add_calendar(OWNER, OWNER, OWNER)  # the owner's primary calendar
    gcal.add_calendar("team@group.calendar.google.com", "boss@salon.example", "Team")
    gcal.share("team@group.calendar.google.com", OWNER, "reader")  # visible, not writable
    secrets_file = tmp_path / "client_secret.json"
    installed = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "auth_uri": gcal.base_url + "/o/oauth2/auth",
        "token_uri": gcal.token_uri,
        "redirect_uris": ["http://localhost"],
    }
    secrets_file.write_text(json.dumps({"installed": installed}))
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks plain http

    class Cli:
        said: list[str] = []
        answers: dict[str, str] = {}

        def ask(self, prompt: str) -> str:
            if prompt.startswith("Paste"):  # the person signs in and copies the address back
                url = next(s for s in reversed(self.said) if s.startswith("http"))
                return gcal.authorize(url, OWNER)
            return self.answers[prompt.split("?")[0]]

        def run(self, *args: str) -> int:
            argv = [*args, "--database-url", db_url, "--api-endpoint", gcal.api_endpoint]
            if "--service-account" not in args:
                argv += ["--client-secrets", str(secrets_file)]
            return setup_calendar_auth.main(argv, ask=self.ask, say=self.said.append)

    return Cli()


def stored(business_id: int) -> dict:
    return db.fetch_one(
        "SELECT calendar_backend, calendar_settings, calendar_error FROM businesses WHERE id = %s",
        (business_id,),
    )


def test_console_flow_exchanges_the_code_and_stores_the_token_encrypted(cli, gcal):
    cli.answers["Which calendar should the bot use"] = "2"
    assert cli.run("--phone-number-id", PHONE_NUMBER_ID, "--console") == 0
    assert any("1. " in s and "(primary)" in s for s in cli.said)
    assert not any("Team" in s for s in cli.said)  # read-only calendars are not offered
    (exchange,) = [r.body for r in gcal.calls("POST", "/token") if "code" in r.body]
    assert exchange["grant_type"] == "authorization_code" and exchange["code_verifier"]
    assert exchange["redirect_uri"] == "http://localhost"
    row = stored(1)
    settings = row["calendar_settings"]
    assert row["calendar_backend"] == "google" and settings["calendar_id"] == CAL
    assert settings["kind"] == "oauth_user" and settings["credentials"].startswith("enc:v1:")
    info = json.loads(decrypt(settings["credentials"], SECRET_KEY))
    assert info["refresh_token"] in gcal.refresh_tokens and "token" not in info
    assert info["refresh_token"] not in json.dumps(row, default=str)
    assert gcal.calls("POST", "/freeBusy")  # access was verified by reading free/busy
    assert credentials_from(info).refresh_token == info["refresh_token"]
    assert "Connected 'Demo Salon'" in cli.said[-1]


def test_browser_flow_runs_a_local_redirect_server(cli, gcal, monkeypatch):
    class Browser:
        def open(self, url, new=0, autoraise=True):
            def visit():
                with urllib.request.urlopen(gcal.authorize(url, OWNER), timeout=10) as page:
                    page.read()

            threading.Thread(target=visit, daemon=True).start()
            return True

    monkeypatch.setattr(webbrowser, "get", lambda using=None: Browser())
    assert cli.run("--business-id", "1", "--calendar-id", CAL) == 0
    assert stored(1)["calendar_settings"]["calendar_id"] == CAL


def test_service_account_is_verified_then_stored(cli, gcal, tmp_path):
    business_id = make_business()
    info = service_account_info(gcal)
    gcal.share(CAL, info["client_email"], "writer")
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(info))
    args = ("--business-id", str(business_id), "--service-account", str(key_file))
    assert cli.run(*args, "--calendar-id", CAL) == 0
    settings = stored(business_id)["calendar_settings"]
    assert (settings["kind"], settings["account"]) == ("service_account", info["client_email"])
    assert "PRIVATE KEY" not in json.dumps(settings)
    assert cli.run("--business-id", str(business_id), "--status") == 0
    assert {"kind: service_account", "configured: True", "calendar_error: None"} <= set(cli.said)
    assert "PRIVATE KEY" not in "\n".join(cli.said)


def test_a_calendar_not_shared_with_the_service_account_is_refused(cli, gcal, tmp_path):
    business_id = make_business()
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(service_account_info(gcal)))
    args = ("--business-id", str(business_id), "--service-account", str(key_file))
    assert cli.run(*args, "--calendar-id", CAL) == 1
    assert "notFound" in cli.said[-1] and "shared" in cli.said[-1]
    assert stored(business_id)["calendar_backend"] == "local"


def test_unknown_business_is_an_error(cli):
    assert cli.run("--business-id", "999", "--console") == 2
    assert cli.said == ["error: no such business"]
