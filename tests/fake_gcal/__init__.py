"""A fake Google Calendar API and OAuth token endpoint: a local HTTP server, real wire format."""

from tests.fake_gcal.api import google_error
from tests.fake_gcal.server import FakeGoogle

__all__ = ["FakeGoogle", "google_error"]
