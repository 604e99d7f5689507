"""`flask --app app seed-demo`: the demo business on its WhatsApp number and its Facebook Page."""

from __future__ import annotations

import pytest

from app.config import load_config
from app.secrets import decrypt
from app.storage import businesses, db
from tests.conftest import PHONE_NUMBER_ID, SECRET_KEY


@pytest.fixture
def cli_app(app_config):
    from app import create_app

    config = {**app_config, "MESSENGER_PAGE_ID": "777000111", "PAGE_ACCESS_TOKEN": "EAAPage-1"}
    yield create_app(config)
    db.close_pool()


def seed(cli_app) -> str:
    with cli_app.app_context():  # as the `flask` command provides one
        result = cli_app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def demo_rows() -> list[dict]:
    return db.fetch_all(
        "SELECT whatsapp_number_id, messenger_page_id, page_access_token FROM businesses"
    )


def test_seed_demo_gives_the_demo_business_its_page_and_encrypted_token(cli_app):
    assert seed(cli_app).startswith("created: Demo Salon")
    [row] = demo_rows()
    assert (row["whatsapp_number_id"], row["messenger_page_id"]) == (PHONE_NUMBER_ID, "777000111")
    assert row["page_access_token"].startswith("enc:v1:")
    assert decrypt(row["page_access_token"], SECRET_KEY) == "EAAPage-1"
    assert "already present" in seed(cli_app)
    assert demo_rows() == [row]


def test_seed_demo_adds_the_page_to_a_demo_business_without_one(cli_app):
    businesses.seed_demo(PHONE_NUMBER_ID)
    assert demo_rows()[0]["messenger_page_id"] is None
    assert "already present" in seed(cli_app)
    [row] = demo_rows()
    assert row["messenger_page_id"] == "777000111"
    assert decrypt(row["page_access_token"], SECRET_KEY) == "EAAPage-1"


def test_seed_demo_leaves_a_page_another_business_has(cli_app):
    businesses.seed_demo(PHONE_NUMBER_ID)
    businesses.create_business(
        {"name": "Other", "whatsapp_number_id": "9", "messenger_page_id": "777000111"}
    )
    seed(cli_app)
    pages = db.fetch_all("SELECT name, messenger_page_id FROM businesses ORDER BY id")
    assert pages == [
        {"name": "Demo Salon", "messenger_page_id": None},
        {"name": "Other", "messenger_page_id": "777000111"},
    ]


@pytest.mark.parametrize(
    ("env", "page_id", "token"),
    [
        ({"ACCESS_TOKEN": "EAAWa"}, "777000111", "EAAWa"),
        ({"ACCESS_TOKEN": "EAAWa", "PAGE_ACCESS_TOKEN": "EAAPage"}, "777000111", "EAAPage"),
        ({"MESSENGER_PAGE_ID": "104512345678901"}, "104512345678901", ""),
    ],
)
def test_messenger_settings_and_their_defaults(monkeypatch, env, page_id, token):
    for key in ("ACCESS_TOKEN", "PAGE_ACCESS_TOKEN", "MESSENGER_PAGE_ID"):
        monkeypatch.setenv(key, env.get(key, ""))
        if key not in env:
            monkeypatch.delenv(key)
    cfg = load_config()
    assert (cfg["MESSENGER_PAGE_ID"], cfg["PAGE_ACCESS_TOKEN"]) == (page_id, token)
