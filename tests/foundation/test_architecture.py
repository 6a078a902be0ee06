"""Layering rules from the architecture: the domain and the services never import Flask."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TypeGuard

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fit_platform"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("domain", {"flask", "flask_babel", "flask_wtf", "sqlalchemy", "wtforms", "alembic"}),
        ("services", {"flask", "flask_babel", "flask_wtf", "wtforms"}),
        ("messaging", {"flask", "flask_babel", "flask_wtf", "wtforms"}),
    ],
)
def test_layer_does_not_import_the_web_stack(layer: str, forbidden: set[str]) -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(_imports(path) & forbidden)
        for path in (PACKAGE / layer).rglob("*.py")
        if _imports(path) & forbidden
    }
    assert offenders == {}


def _unstamped_transactions(path: Path) -> list[str]:
    """Transactions opened without `now=` in a function that has the time (a `now` parameter
    or a local `now` assigned before the call)."""
    found = []
    for function in ast.walk(ast.parse(path.read_text())):
        if not isinstance(function, ast.FunctionDef):
            continue
        arguments = function.args.args + function.args.kwonlyargs
        has_now = any(a.arg == "now" for a in arguments)
        assigned = [
            node.lineno
            for node in ast.walk(function)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "now" for t in node.targets)
        ]
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("transaction", "session")
                and "db" in ast.unparse(node.func.value)
                and not any(k.arg == "now" for k in node.keywords)
                and (has_now or any(line < node.lineno for line in assigned))
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {function.name}")
    return found


@pytest.mark.parametrize("layer", ["services", "messaging", "scheduler"])
def test_a_service_given_the_time_stamps_its_rows_with_it(layer: str) -> None:
    # Rows a job or service inserts under an injected clock must carry that time in
    # created_at (db/base.py: row_time), or retention and "sent … ago" disagree with it.
    offenders = [
        found for path in (PACKAGE / layer).rglob("*.py") for found in _unstamped_transactions(path)
    ]
    assert offenders == []


def _reads_the_machine_clock(node: ast.AST) -> TypeGuard[ast.Call]:
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Name):
        return node.func.id == "utcnow"
    return (
        isinstance(node.func, ast.Attribute)
        and node.func.attr in ("now", "utcnow", "today")
        and ast.unparse(node.func.value).split(".")[-1] in ("datetime", "date", "dt")
    )


def test_pages_read_the_time_only_through_the_page_clock() -> None:
    # A page that reads the machine's clock itself says "today" or "sent 2 hours ago" by a
    # different time from the one its tests set (and from the services it calls with `now`).
    offenders = sorted(
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in (PACKAGE / "web").rglob("*.py")
        if path.name != "clock.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if _reads_the_machine_clock(node)
    )
    assert offenders == []
