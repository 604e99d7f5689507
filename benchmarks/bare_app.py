"""The ceiling: a bare Flask route that only checks the body's HMAC, as the bot's webhook does."""

import hashlib
import hmac
import os

from flask import Flask, request

SECRET = os.environ.get("APP_SECRET", "bench-secret").encode()


def create_app() -> Flask:
    """A Flask app with one POST /webhook that verifies X-Hub-Signature-256 and answers ok."""
    app = Flask(__name__)

    @app.post("/webhook")
    def webhook():
        body = request.get_data()
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
            return "forbidden", 403
        return "ok", 200

    return app
