"""The WhatsApp booking bot: `create_app` is the only place things are wired together."""

from __future__ import annotations

import logging

from flask import Flask, g, request
from flask.sessions import SessionInterface

from app.config import check_required, load_config
from app.logs import new_request_id, request_id_var, valid_request_id

log = logging.getLogger(__name__)
# Headers every response carries, errors and POST /webhook's own endpoint included. nosniff:
# browsers must not guess a type, so a JSON body quoting customer text never runs as HTML.
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"),)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask app: config, storage, queue, blueprints, commands."""
    app = Flask(__name__)
    app.config.update(load_config())
    if test_config:
        app.config.update(test_config)
    configure_logging(app)
    check_required(app.config)
    resolve_database(app)
    register_extensions(app)
    register_blueprints(app)
    register_request_ids(app)
    register_security_headers(app)
    app.session_interface = NoCookieSessions()
    register_commands(app)
    warn_about_modes(app)
    return app


def configure_logging(app: Flask) -> None:
    """JSON lines in production, readable lines in development; never a secret."""
    from app import logs

    logs.configure(app.config)


def resolve_database(app: Flask) -> None:
    """Use DATABASE_URL, or the embedded PostgreSQL when it is not set."""
    from app.embedded import resolve_database_url

    app.config["DATABASE_URL"] = resolve_database_url(app.config)


def register_extensions(app: Flask) -> None:
    """Open the pool and the job queue; set up channels, the outbox, calendars, reminders,
    model breakers and clients, the tracer, caches and errors."""
    from app import bot, calendars, channels, errors, jobs, outbox, storage, tracing, webhook
    from app.agent import breaker, llm
    from app.booking import reminders

    storage.init_app(app)
    jobs.init_app(app)
    channels.init_app(app)
    outbox.init_app(app, queue_send=jobs.queue_send)
    calendars.init_app(app, queue_sync=jobs.queue_calendar_sync)
    reminders.init_app(app, schedule=jobs.schedule_reminder, drop=jobs.drop_reminder)
    breaker.init_app(app)
    llm.init_app(app)
    tracing.init_app(app)
    bot.init_app(app, erase_after_send=jobs.erase_after_send)
    webhook.init_app(app)
    errors.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Mount the webhook, the health endpoints and the admin API."""
    from app import admin, health, metrics, webhook

    app.register_blueprint(webhook.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(admin.bp)
    if app.config["MOCK_MODE"]:
        from app import dev

        app.register_blueprint(dev.bp)


def register_request_ids(app: Flask) -> None:
    """Give every request an id (the caller's when valid) and echo it back."""

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if valid_request_id(incoming) else new_request_id()
        request_id_var.set(g.request_id)

    @app.after_request
    def echo_request_id(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response


def register_security_headers(app: Flask) -> None:
    """Headers every response carries, errors included."""

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS:
            response.headers[name] = value
        return response


class NoCookieSessions(SessionInterface):
    """No Flask cookie session: the admin API authenticates with its own tokens and cookies, so
    no request (the webhook's above all) pays for signing a session it never reads.
    `flask.session` is a read-only empty session; writing to it raises."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        return None


def register_commands(app: Flask) -> None:
    """Add the operator commands (`flask --app app migrate|worker|seed-demo|...`)."""
    from app import commands

    commands.init_app(app)


def warn_about_modes(app: Flask) -> None:
    """Say loudly when the bot runs on the embedded database, mock mode or no model.

    `run.py` sets STARTUP_BANNER and says all of it in its banner instead.
    """
    if app.config.get("STARTUP_BANNER"):
        return
    if app.config.get("DATABASE_EMBEDDED"):
        log.warning(
            "DATABASE_URL is not set: using the embedded PostgreSQL in %s",
            app.config["EMBEDDED_PG_DIR"],
        )
    if app.config["MOCK_MODE"]:
        log.warning(
            "MOCK_MODE is on: replies are recorded, not sent to WhatsApp%s",
            "" if app.config["APP_SECRET"] else "; unsigned webhooks are accepted",
        )
    if not app.config["OPENAI_API_KEY"]:
        log.warning("OPENAI_API_KEY is not set: the model-free booking flow answers every turn")
