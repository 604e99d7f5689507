"""The app's connection pool: what every session it hands out is set to."""

from __future__ import annotations

from datetime import timedelta

from app.storage import db


def test_every_session_speaks_utc_whatever_the_url_or_server_says(db_url):
    """Timestamps came back in the session's TimeZone (the server's default, or the URL's), so
    the API wrote them with whatever offset that was."""
    madrid = db_url + ("&" if "?" in db_url else "?") + "options=-c%20TimeZone%3DEurope/Madrid"
    db.open_pool(madrid, min_size=1, max_size=2)
    try:
        assert db.fetch_one("SHOW TimeZone")["TimeZone"] == "UTC"
        row = db.fetch_one("SELECT '2026-03-29 01:30:00+00'::timestamptz AS at")
        assert row["at"].utcoffset() == timedelta(0)
    finally:
        db.close_pool()
