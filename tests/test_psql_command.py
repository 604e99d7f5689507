"""`flask --app app psql`: psql opened on the bot's database."""

import json
import stat

PASSWORD = "db-password-0123456789"
FAKE_PSQL = """#!{python}
import json, os, sys
with open({out!r}, "w") as f:
    json.dump({{"argv": sys.argv[1:], "password": os.environ.get("PGPASSWORD")}}, f)
"""


def test_the_database_password_is_not_on_psqls_command_line(app, tmp_path, monkeypatch):
    """A process's command line is readable by every user of the machine (ps, /proc): the
    password goes to psql in its environment, readable by its own user only."""
    import sys

    out = tmp_path / "psql.json"
    psql = tmp_path / "psql"
    psql.write_text(FAKE_PSQL.format(python=sys.executable, out=str(out)))
    psql.chmod(psql.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    app.config["DATABASE_EMBEDDED"] = False
    app.config["DATABASE_URL"] = (
        f"postgresql://bot:{PASSWORD}@db.internal:6543/bookings?sslmode=require"
    )
    with app.app_context():  # as `flask --app app` gives every command
        result = app.test_cli_runner().invoke(args=["psql", "-c", "select 1"])
    assert result.exit_code == 0, result.output
    called = json.loads(out.read_text())
    assert not any(PASSWORD in arg for arg in called["argv"])
    assert called["password"] == PASSWORD
    target, *rest = called["argv"]
    assert rest == ["-c", "select 1"]
    for part in ("host=db.internal", "port=6543", "dbname=bookings", "user=bot", "sslmode=require"):
        assert part in target.split()
