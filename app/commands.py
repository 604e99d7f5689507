"""Operator commands: `flask --app app migrate | worker | seed-demo | create-admin EMAIL | psql |
import-website BUSINESS_ID URL`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


def init_app(app) -> None:
    """Register the commands on `app`."""
    app.cli.add_command(migrate_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(psql_command)
    app.cli.add_command(import_website_command)


@click.command("migrate")
def migrate_command() -> None:
    """Apply pending database migrations."""
    from app.storage.migrate import migrate

    names = migrate(current_app.config["DATABASE_URL"])
    click.echo(f"applied {len(names)} migration(s)" + (": " + ", ".join(names) if names else ""))


@click.command("worker")
def worker_command() -> None:
    """Run the job worker until interrupted."""
    from app import cpus, heap, jobs

    heap.settle(heap.WORKER_MODULES)
    wanted = current_app.config["WORKER_NICE"]  # below the web processes on shared cores
    niceness = cpus.lower(wanted)
    if niceness is None:
        current_app.logger.warning("WORKER_NICE=%s: the kernel refused it", wanted)
    click.echo("worker started" + (f" at niceness {niceness}" if niceness else ""))
    jobs.run_worker(current_app._get_current_object())


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo business "Demo Salon" unless it exists."""
    cfg = current_app.config
    business_id, created = seed_demo(cfg)
    click.echo(
        f"{'created' if created else 'already present'}: Demo Salon (id {business_id}), WhatsApp"
        f" number id {cfg['PHONE_NUMBER_ID']}, Messenger page id {cfg['MESSENGER_PAGE_ID']}"
    )


def seed_demo(cfg) -> tuple[int, bool]:
    """Create the demo business on PHONE_NUMBER_ID and the Page MESSENGER_PAGE_ID (its token
    PAGE_ACCESS_TOKEN, stored encrypted); return (id, created)."""
    from app.secrets import encrypt
    from app.storage import businesses

    return businesses.seed_demo(
        cfg["PHONE_NUMBER_ID"],
        messenger_page_id=cfg["MESSENGER_PAGE_ID"] or None,
        page_access_token=encrypt(cfg["PAGE_ACCESS_TOKEN"], cfg["SECRET_KEY"]),
    )


@click.command("create-admin")
@click.argument("email", required=False)
@with_appcontext
def create_admin_command(email: str | None) -> None:
    """Create a superadmin (EMAIL or ADMIN_EMAIL), or reset an existing user's password."""
    from app.admin.auth import hash_password
    from app.admin.passwords import password_problem
    from app.storage.users import upsert_superadmin

    email = (email or current_app.config["ADMIN_EMAIL"]).strip().lower()
    if "@" not in email:
        raise click.BadParameter("must be an email address", param_hint="EMAIL")
    password = current_app.config["ADMIN_PASSWORD"] or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    problem = password_problem(password, email)
    if problem:
        raise click.ClickException(f"the password {problem}")
    user_id, created = upsert_superadmin(email, hash_password(password))
    click.echo(f"{'created' if created else 'updated'} superadmin {email} (id {user_id})")


@click.command("psql", context_settings={"ignore_unknown_options": True})
@click.argument("psql_args", nargs=-1, type=click.UNPROCESSED)
def psql_command(psql_args: tuple[str, ...]) -> None:
    """Open psql on the bot's database (the embedded one included); extra arguments go to psql.

    The password goes to psql in its environment (PGPASSWORD), readable by its own user only,
    never on its command line, which every user of the machine can read (ps, /proc).
    """
    import os
    import shutil
    import signal
    import subprocess

    from app.storage.db import client_target

    try:
        target, password = client_target(current_app.config["DATABASE_URL"])
    except ValueError:
        raise click.ClickException("DATABASE_URL is not a valid connection URL") from None
    env = None if password is None else {**os.environ, "PGPASSWORD": password}
    psql = shutil.which("psql")
    if current_app.config.get("DATABASE_EMBEDDED") or not psql:
        try:
            from pgserver._commands import POSTGRES_BIN_PATH  # the client bundled with the server

            psql = str(POSTGRES_BIN_PATH / "psql")
        except ImportError:
            pass
    if not psql:
        raise click.ClickException("psql is not installed (apt-get install postgresql-client)")
    # A child, not exec: this process then lets go of the embedded server when psql ends.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to psql
    try:
        code = subprocess.call([psql, target, *psql_args], env=env)
    finally:
        signal.signal(signal.SIGINT, previous)
    raise SystemExit(code)


@click.command("import-website")
@click.argument("business_id", type=int)
@click.argument("url")
def import_website_command(business_id: int, url: str) -> None:
    """Crawl URL (the business's own site) into a new version of its reference document."""
    from app.knowledge.crawl import MAX_ROBOTS_BYTES
    from app.knowledge.importer import ImportFailed, import_website
    from app.storage.businesses import get_business

    business = get_business(business_id)
    if business is None:
        raise click.ClickException(f"no business with id {business_id}")
    try:
        result = import_website(current_app.config, business, url)
    except ImportFailed as exc:
        raise click.ClickException(str(exc)) from None
    report = result.report
    click.echo(
        f"imported {report['start_url']} into {business['name']}: reference document version"
        f" {result.version} ({len(report['pages'])} pages read, {len(result.content)} characters,"
        f" written {'by the model' if report['written_by'] == 'model' else 'extractively'})"
    )
    for skipped in report["skipped"]:
        click.echo(f"skipped {skipped['url']}: {skipped['reason']}")
    if report["skipped_omitted"]:
        click.echo(f"skipped {report['skipped_omitted']} more URLs, not listed")
    for robots in report["robots_cut"]:
        click.echo(
            f"obeyed {robots} up to its first {MAX_ROBOTS_BYTES} bytes (RFC 9309's limit),"
            " not the rest"
        )
    if report["stopped"]:
        click.echo(f"stopped early: {report['stopped']}")
    for conflict in result.conflicts:
        click.echo(
            f"conflict (the settings win): {conflict['field']} is {conflict['configured']},"
            f" the site says {conflict['document']}"
        )
