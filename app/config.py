"""Configuration: the only module that reads the process environment."""

import os
import urllib.request
from decimal import Decimal, InvalidOperation

import click
from dotenv import dotenv_values, load_dotenv

REQUIRED_OUTSIDE_MOCK = ("APP_SECRET", "VERIFY_TOKEN", "SECRET_KEY")
# USD per million prompt/completion tokens (MODEL_PRICES adds or overrides models).
DEFAULT_MODEL_PRICES = "gpt-4o-mini=0.15/0.60"


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw.strip() else default
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _hops(name: str) -> int:
    hops = _int(name, 0)
    if hops < 0:
        raise ConfigError(f"{name} must be 0 or more, got {hops}")
    return hops


def _niceness(name: str, default: int) -> int:
    value = _int(name, default)
    if not 0 <= value <= 19:
        raise ConfigError(f"{name} must be from 0 (normal) to 19 (lowest), got {value}")
    return value


def _token(name: str, min_length: int = 16) -> str:
    """An optional secret token of at least `min_length` characters when set."""
    # A short token is guessable, and log redaction skips values under 8 characters.
    value = os.environ.get(name, "")
    if value and len(value) < min_length:
        raise ConfigError(f"{name} must be at least {min_length} characters when set")
    return value


class ConfigError(click.ClickException):
    """A configuration key is missing or malformed.

    A ClickException, so `flask --app app <command>` prints it as one line ("Error: ...") rather
    than a traceback; `run.py` does the same.
    """


def load_config() -> dict:
    """Read the environment (and `.env`) into a plain dict of settings."""
    load_dotenv(override=False)
    env = os.environ.get
    database_url = env("DATABASE_URL", "")
    # No DATABASE_URL means local development (the embedded PostgreSQL): mock mode is then on
    # unless MOCK_MODE says otherwise, for `run.py` and every `flask --app app` command alike.
    mock = _bool(env("MOCK_MODE"), default=not database_url)
    port = _int("PORT", 8000)
    cfg = {
        "DATABASE_URL": database_url,
        "DATABASE_EMBEDDED": False,  # set when the embedded PostgreSQL stands in for it
        "EMBEDDED_PG_DIR": env("EMBEDDED_PG_DIR", ""),
        "SECRET_KEY": env("SECRET_KEY", ""),
        "APP_SECRET": env("APP_SECRET", ""),
        "VERIFY_TOKEN": env("VERIFY_TOKEN", ""),
        "ACCESS_TOKEN": env("ACCESS_TOKEN", ""),
        "PHONE_NUMBER_ID": env("PHONE_NUMBER_ID", "123456123"),
        "VERSION": env("VERSION", "v21.0"),
        "WHATSAPP_API_BASE_URL": env("WHATSAPP_API_BASE_URL", "https://graph.facebook.com"),
        "GRAPH_TIMEOUT": _float("GRAPH_TIMEOUT", 10.0),
        "OPENAI_API_KEY": env("OPENAI_API_KEY", ""),
        "OPENAI_BASE_URL": env("OPENAI_BASE_URL", ""),
        "OPENAI_MODEL": env("OPENAI_MODEL", "gpt-4o-mini"),
        "LLM_TIMEOUT": _float("LLM_TIMEOUT", 30.0),
        "LLM_MAX_RETRIES": _int("LLM_MAX_RETRIES", 2),
        **resilience_settings(),
        "AGENT_MAX_ITERATIONS": _int("AGENT_MAX_ITERATIONS", 6),
        "HISTORY_LIMIT": _int("HISTORY_LIMIT", 10),
        "BOT_REPLY_LIMIT": _int("BOT_REPLY_LIMIT", 20),
        "BOT_REPLY_WINDOW_MINUTES": _int("BOT_REPLY_WINDOW_MINUTES", 10),
        "MOCK_MODE": mock,
        "HOST": env("HOST", "127.0.0.1"),
        "SERVER_URL": env("SERVER_URL") or f"http://localhost:{port}",
        "PORT": port,
        "FLASK_DEBUG": _bool(env("FLASK_DEBUG")),
        "TRACER_TYPE": env("TRACER_TYPE", "console"),
        "TRACE_LOG_PII": _bool(env("TRACE_LOG_PII")),
        "LANGFUSE_PUBLIC_KEY": env("LANGFUSE_PUBLIC_KEY", ""),
        "LANGFUSE_SECRET_KEY": env("LANGFUSE_SECRET_KEY", ""),
        "LANGFUSE_BASE_URL": env("LANGFUSE_BASE_URL") or env("LANGFUSE_HOST", ""),
        "LANGFUSE_TIMEOUT": _int("LANGFUSE_TIMEOUT", 2),
        "LANGFUSE_FLUSH_INTERVAL": _float("LANGFUSE_FLUSH_INTERVAL", 1.0),
        "LOG_FORMAT": env("LOG_FORMAT", ""),
        # prometheus_client reads it from the environment too; here it selects the collector.
        "PROMETHEUS_MULTIPROC_DIR": env("PROMETHEUS_MULTIPROC_DIR", ""),
        # When set, GET /metrics wants `Authorization: Bearer <METRICS_TOKEN>`; open otherwise.
        "METRICS_TOKEN": _token("METRICS_TOKEN"),
        "QUEUE_LOG_LEVEL": env("QUEUE_LOG_LEVEL", "WARNING"),
        "BUSINESS_CACHE_TTL": _float("BUSINESS_CACHE_TTL", 30.0),
        # How many webhook requests a web process may commit in one transaction (1: one each).
        "WEBHOOK_COMMIT_BATCH": _int("WEBHOOK_COMMIT_BATCH", 32),
        "MAX_CONTENT_LENGTH": _int("MAX_BODY_BYTES", 3 * 1024 * 1024),
        "WORKER_CONCURRENCY": _int("WORKER_CONCURRENCY", 4),
        # Job workers run below the web processes on shared cores (app/cpus.py): 0 to 19.
        "WORKER_NICE": _niceness("WORKER_NICE", 10),
        "WORKER_STALLED_TIMEOUT": _float("WORKER_STALLED_TIMEOUT", 30.0),
        "WORKER_HEARTBEAT_INTERVAL": _float("WORKER_HEARTBEAT_INTERVAL", 5.0),
        # How often an idle worker looks for jobs that have become due (seconds).
        "WORKER_POLL_INTERVAL": _float("WORKER_POLL_INTERVAL", 0.2),
        # How often the worker hands conversations back to the bot after their quiet time.
        "HANDOFF_RESUME_INTERVAL": _float("HANDOFF_RESUME_INTERVAL", 60.0),
        # Whether a waiting worker queues the hourly purge of messages past their retention.
        "RETENTION_PURGE": _bool(env("RETENTION_PURGE"), default=True),
        "DB_POOL_MIN": _int("DB_POOL_MIN", 1),
        "DB_POOL_MAX": _int("DB_POOL_MAX", 10),
        "DB_POOL_TIMEOUT": _float("DB_POOL_TIMEOUT", 5.0),
        "ADMIN_EMAIL": env("ADMIN_EMAIL", ""),
        "ADMIN_PASSWORD": env("ADMIN_PASSWORD", ""),
        "ADMIN_TOKEN_TTL_HOURS": _int("ADMIN_TOKEN_TTL_HOURS", 12),
        "ADMIN_LOGIN_WINDOW_MINUTES": _int("ADMIN_LOGIN_WINDOW_MINUTES", 15),
        "ADMIN_LOGIN_MAX_FAILURES_PER_EMAIL": _int("ADMIN_LOGIN_MAX_FAILURES_PER_EMAIL", 5),
        "ADMIN_LOGIN_MAX_FAILURES_PER_IP": _int("ADMIN_LOGIN_MAX_FAILURES_PER_IP", 20),
        # Proxies in front of the API that append to X-Forwarded-For (the console is one); 0 = none.
        "ADMIN_TRUSTED_PROXY_HOPS": _hops("ADMIN_TRUSTED_PROXY_HOPS"),
        "GOOGLE_CLIENT_SECRETS_FILE": env("GOOGLE_CLIENT_SECRETS_FILE", ""),
        # How often a worker reads back what businesses changed in their Google Calendars
        # (seconds; 0 turns it off).
        "GOOGLE_SYNC_INTERVAL": _float("GOOGLE_SYNC_INTERVAL", 300.0),
        **knowledge_settings(),
        **channel_settings(),
    }
    return cfg


def resilience_settings() -> dict:
    """Slot holds, the model circuit breaker and the optional fallback model."""
    return {
        "SLOT_HOLD_SECONDS": _positive("SLOT_HOLD_SECONDS", 300),
        "LLM_BREAKER_FAILURES": _positive("LLM_BREAKER_FAILURES", 5),
        "LLM_BREAKER_RESET_SECONDS": _positive("LLM_BREAKER_RESET_SECONDS", 60),
        # Unset: no fallback. Unset parts default to the primary model's.
        "FALLBACK_OPENAI_BASE_URL": os.environ.get("FALLBACK_OPENAI_BASE_URL", ""),
        "FALLBACK_OPENAI_MODEL": os.environ.get("FALLBACK_OPENAI_MODEL", ""),
        "FALLBACK_OPENAI_API_KEY": os.environ.get("FALLBACK_OPENAI_API_KEY", ""),
    }


def pin_web_cpus() -> bool:
    """`WEB_PIN_CPUS` (default off): gunicorn's master runs each web worker on a core of its own
    (app/cpus.py; gunicorn.conf.py), for hosts whose cores serve the web processes alone."""
    return _master_flag("WEB_PIN_CPUS", default=False)


def web_sched_batch() -> bool:
    """`WEB_SCHED_BATCH` (default on): each web worker asks the kernel's scheduler to treat its
    threads as throughput work, so a thread woken does not preempt the one running (app/cpus.py;
    gunicorn.conf.py)."""
    return _master_flag("WEB_SCHED_BATCH", default=True)


def _master_flag(name: str, default: bool) -> bool:
    """A setting gunicorn's master reads before any app exists, from the environment or else
    `.env`, without loading `.env` into its environment (its workers read `.env` afresh when
    they start)."""
    value = os.environ.get(name)
    if value is None:
        value = dotenv_values().get(name)
    return _bool(value, default=default)


def _positive(name: str, default: int) -> int:
    value = _int(name, default)
    if value < 1:
        raise ConfigError(f"{name} must be 1 or more, got {value}")
    return value


def knowledge_settings() -> dict:
    """Website import limits and guard exemptions, reference document size, model prices."""
    return {
        # Exact host:port origins exempt from the private-address guard (tests, intranet sites).
        "WEBSITE_IMPORT_ALLOWED_HOSTS": _origins("WEBSITE_IMPORT_ALLOWED_HOSTS"),
        "WEBSITE_IMPORT_MAX_PAGES": _int("WEBSITE_IMPORT_MAX_PAGES", 20),
        "WEBSITE_IMPORT_MAX_PAGE_BYTES": _int("WEBSITE_IMPORT_MAX_PAGE_BYTES", 2_000_000),
        "WEBSITE_IMPORT_MAX_TOTAL_BYTES": _int("WEBSITE_IMPORT_MAX_TOTAL_BYTES", 10_000_000),
        "WEBSITE_IMPORT_TIME_LIMIT": _float("WEBSITE_IMPORT_TIME_LIMIT", 30.0),
        "WEBSITE_IMPORT_PAGE_TIMEOUT": _float("WEBSITE_IMPORT_PAGE_TIMEOUT", 10.0),
        # HTTP_PROXY, HTTPS_PROXY, NO_PROXY (either case), as urllib reads them.
        "WEBSITE_IMPORT_PROXIES": urllib.request.getproxies_environment(),
        "REFERENCE_DOC_PROMPT_CHARS": _int("REFERENCE_DOC_PROMPT_CHARS", 6000),
        "MODEL_PRICES": _prices("MODEL_PRICES", DEFAULT_MODEL_PRICES),
    }


def _origins(name: str) -> frozenset[tuple[str, int]]:
    """`host:port,host:port` as (lower-case host, port) pairs; `[::1]:8080` for IPv6."""
    found = set()
    for item in os.environ.get(name, "").split(","):
        item = item.strip()
        if not item:
            continue
        host, _, port = item.rpartition(":")
        host = host.strip("[]").lower()
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"{name} must list host:port origins, got {item!r}")
        found.add((host, int(port)))
    return frozenset(found)


def _prices(name: str, default: str) -> dict[str, tuple[Decimal, Decimal]]:
    """`model=prompt/completion,...` in USD per million tokens, over the default prices."""
    prices = {}
    for item in f"{default},{os.environ.get(name, '')}".split(","):
        if not item.strip():
            continue
        model, _, pair = item.partition("=")
        prompt, _, completion = pair.partition("/")
        try:
            values = (Decimal(prompt.strip()), Decimal(completion.strip()))
        except InvalidOperation:
            values = None
        if not model.strip() or values is None or not all(v.is_finite() and v >= 0 for v in values):
            raise ConfigError(f"{name} must look like gpt-4o-mini=0.15/0.60, got {item.strip()!r}")
        prices[model.strip()] = values
    return prices


def channel_settings() -> dict:
    """The Messenger Page's defaults and the outbox's retry, window and pacing settings."""
    env = os.environ.get
    return {
        # Messenger's Send API lives on the same Graph host as WhatsApp's unless set.
        "MESSENGER_API_BASE_URL": env("MESSENGER_API_BASE_URL", ""),
        # The demo business's Facebook Page (`seed-demo`); its token defaults to ACCESS_TOKEN.
        "MESSENGER_PAGE_ID": env("MESSENGER_PAGE_ID", "777000111"),
        "PAGE_ACCESS_TOKEN": env("PAGE_ACCESS_TOKEN") or env("ACCESS_TOKEN", ""),
        # How long an outbound message is worth sending (seconds); then it is recorded expired.
        "OUTBOX_MESSAGE_TTL": _float("OUTBOX_MESSAGE_TTL", 24 * 3600.0),
        # Retry n of a failed send waits OUTBOX_BACKOFF_BASE * 4^(n-1) seconds (+ up to 25%).
        "OUTBOX_BACKOFF_BASE": _float("OUTBOX_BACKOFF_BASE", 1.0),
        # Pause of a whole account the channel called too fast, when it did not say how long.
        "OUTBOX_RATE_PAUSE": _float("OUTBOX_RATE_PAUSE", 0.5),
        # Wait before the next message to a customer the channel called too frequent.
        "OUTBOX_PAIR_PAUSE": _float("OUTBOX_PAIR_PAUSE", 6.0),
        # A sender waits in place for a send slot at most this long, else steps aside (a message
        # that already stepped aside once waits up to 4 times as long).
        "OUTBOX_PACE_WAIT": _float("OUTBOX_PACE_WAIT", 0.25),
        # Pace this fraction under each account's rate: the channel counts arrivals, which the
        # network bunches up.
        "OUTBOX_PACE_MARGIN": _float("OUTBOX_PACE_MARGIN", 0.05),
    }


def check_required(cfg: dict) -> None:
    """Stop startup when a secret without a default is missing outside mock mode."""
    if cfg.get("MOCK_MODE"):
        return
    missing = [key for key in REQUIRED_OUTSIDE_MOCK if not cfg.get(key)]
    if missing:
        raise ConfigError(
            "missing required setting(s): "
            + ", ".join(missing)
            + " (set them in the environment or .env; or set MOCK_MODE=true for local development)"
        )
