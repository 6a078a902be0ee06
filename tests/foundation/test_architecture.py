"""Layering rules from the architecture: the domain and the services never import Flask."""

from __future__ import annotations

import ast
from pathlib import Path

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
