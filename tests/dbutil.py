"""Throwaway PostgreSQL databases for tests: one migrated template, one clone per test."""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg

from app.storage.migrate import migrate

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    """The server to create test databases on (TEST_DATABASE_URL, DATABASE_URL or local)."""
    return (
        os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_ADMIN_URL
    )


def with_dbname(url: str, name: str) -> str:
    """`url` pointing at database `name`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def create_database(name: str, template: str | None = None) -> str:
    """Create database `name` (optionally cloned from `template`); return its URL."""
    base = admin_url()
    with psycopg.connect(base, autocommit=True) as conn:
        tmpl = f" TEMPLATE {template}" if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{tmpl}')
    return with_dbname(base, name)


def drop_database(name: str) -> None:
    """Drop database `name`, closing whatever is still connected."""
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def unique_name(prefix: str) -> str:
    """A database name nobody else uses."""
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:10]}"


def make_template() -> str:
    """Create and migrate a template database; return its name."""
    name = unique_name("wbt_tmpl")
    url = create_database(name)
    migrate(url)
    return name
