"""Shared fixtures: a real PostgreSQL database per test, the Flask app, fake HTTP services."""

from __future__ import annotations

import pytest

from tests import dbutil


@pytest.fixture(scope="session")
def template_db():
    """A migrated template database, cloned for every test that needs a database."""
    name = dbutil.make_template()
    yield name
    dbutil.drop_database(name)


@pytest.fixture
def db_url(template_db):
    """URL of a fresh, migrated database of this test's own."""
    name = dbutil.unique_name("wbt")
    url = dbutil.create_database(name, template=template_db)
    yield url
    from app.storage import db

    db.close_pool()
    dbutil.drop_database(name)


@pytest.fixture
def pool(db_url):
    """The app's connection pool opened on this test's database."""
    from app.storage import db

    yield db.open_pool(db_url, min_size=1, max_size=20)
    db.close_pool()
