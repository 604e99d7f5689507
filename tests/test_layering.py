"""Arrows point down: what each layer of `app/` imports, who knows the job queue, where SQL is."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
# Lower layers never import these (if they must queue work, they are handed a function).
HIGHER = ("app.jobs", "app.bot", "app.agent", "app.admin", "app.webhook", "app.outbox")
LOWER = ("app.storage", "app.booking", "app.calendars", "app.flow")
# SQL shapes, upper case as the project writes SQL; identifiers like SELECT_X do not match.
SQL = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\bpg_advisory|\bprocrastinate_\w+\("
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(APP.rglob("*.py"))}


def in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def imported(node: ast.Import | ast.ImportFrom, module: str) -> list[str]:
    """The modules an import statement loads (`from app import jobs` loads app.jobs)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: resolve against this module's package
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    names = [f"{base}.{alias.name}" for alias in node.names]
    return [n for n in names if n in MODULES] or [base]


def imports(module: str, top_level_only: bool = False) -> set[str]:
    """Every module `module` imports (anywhere, or only when it is itself imported)."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.update(imported(node, module))
    return found


def strings(module: str) -> list[tuple[int, str]]:
    tree = ast.parse(MODULES[module].read_text())
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_the_walk_sees_the_layers():
    for package in (*LOWER, *HIGHER):
        assert any(in_package(m, package) for m in MODULES), package
    assert "app.jobs" in imports("app.webhook")  # resolution of `from app import jobs`


@pytest.mark.parametrize("layer", LOWER)
def test_lower_layers_never_import_higher_ones(layer):
    wrong = {
        f"{module} imports {target}"
        for module in MODULES
        if in_package(module, layer)
        for target in imports(module)
        if any(in_package(target, higher) for higher in HIGHER)
    }
    assert wrong == set()


def test_storage_imports_only_storage():
    wrong = {
        f"{module} imports {target}"
        for module in MODULES
        if in_package(module, "app.storage")
        for target in imports(module)
        if in_package(target, "app") and not in_package(target, "app.storage")
    }
    assert wrong == set()


def test_only_jobs_knows_procrastinate():
    users = {
        module for module in MODULES if any(in_package(t, "procrastinate") for t in imports(module))
    }
    assert users and all(in_package(m, "app.jobs") for m in users), users


def test_sql_lives_in_storage():
    found = {
        f"{module}:{line}"
        for module in MODULES
        if not in_package(module, "app.storage")
        for line, text in strings(module)
        if SQL.search(text)
    }
    assert found == set()
    composers = {m for m in MODULES if "psycopg.sql" in imports(m)}
    assert all(in_package(m, "app.storage") for m in composers), composers


@pytest.mark.parametrize(
    "text, is_sql",
    [
        ("SELECT id FROM messages WHERE customer_id = %s", True),
        ("UPDATE customers SET bot_paused = %s", True),
        ("DELETE FROM turns WHERE customer_id = %s", True),
        ("INSERT INTO customers (business_id) VALUES (%s)", True),
        ("SELECT pg_advisory_lock(%s, %s)", True),
        ("Build from a row of `store.SELECT_APPOINTMENT`.", False),
        ("Select a time from the list", False),
    ],
)
def test_the_sql_pattern(text, is_sql):
    assert bool(SQL.search(text)) is is_sql


def test_no_import_cycles():
    """Module-level imports form no loop (function-level ones run later and are left out)."""
    graph = {m: {t for t in imports(m, top_level_only=True) if t in MODULES} for m in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


@pytest.mark.parametrize(
    "module",
    [
        "app.calendars.google_sync",
        "app.calendars.google_settings",
        "app.calendars.google",
        "app.booking",
        "app.storage.conversations",
        "app.jobs",
        "app.bot",
        "app.webhook",
    ],
)
def test_each_module_imports_first_in_a_fresh_interpreter(module):
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stderr) == (0, "")


# WhatsApp's own names for its ids: the channel-neutral code says account id, address and
# external id instead.
WHATSAPP_WORDS = re.compile(r"wamid|wa_id|phone_number_id")
BACKENDS = ("app.channels.whatsapp", "app.channels.messenger")


def test_only_the_whatsapp_backend_says_wamid_wa_id_or_phone_number_id():
    files = {m: p for m, p in MODULES.items() if not in_package(m, "app.channels.whatsapp")}
    files["app/admin/openapi.json"] = APP / "admin" / "openapi.json"
    found = {
        f"{name}:{n}"
        for name, path in files.items()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if WHATSAPP_WORDS.search(line)
    }
    assert found == set()


def test_channel_backends_are_reached_only_through_the_registry():
    """Above the port, code asks `app.channels` for a channel; it never imports a backend."""
    wrong = {
        f"{module} imports {target}"
        for module in MODULES
        if not in_package(module, "app.channels")
        for target in imports(module)
        if any(in_package(target, backend) for backend in BACKENDS)
    }
    assert wrong == set()


def test_backends_do_not_know_each_other():
    wrong = {
        f"{module} imports {target}"
        for module in MODULES
        for mine in BACKENDS
        if in_package(module, mine)
        for target in imports(module)
        for other in BACKENDS
        if other != mine and in_package(target, other)
    }
    assert wrong == set()
