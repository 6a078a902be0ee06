"""No log call passes a LogRecord attribute in `extra`.

Python's logging raises KeyError for such a call, but only when the record is made, i.e. when the
level is enabled. A reserved key in a `log.info(..., extra=...)` passes every test run at WARNING
and answers 500 in production at INFO, so the check reads the source instead of waiting for a run.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "fit_platform"

RESERVED = frozenset(
    vars(logging.LogRecord("name", logging.INFO, "path", 1, "msg", None, None))
) | {
    "message",  # set by Formatter.format
    "asctime",  # set by Formatter.format when the format uses it
}


def _extra_keys(tree: ast.AST) -> list[tuple[int, str | None]]:
    """(line, key) of every `extra=` key; key None when `extra` is not a literal dict."""
    found: list[tuple[int, str | None]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg != "extra":
                continue
            if not isinstance(keyword.value, ast.Dict):
                found.append((node.lineno, None))
                continue
            for key in keyword.value.keys:
                is_text = isinstance(key, ast.Constant) and isinstance(key.value, str)
                found.append((node.lineno, key.value if is_text else None))  # type: ignore[union-attr]
    return found


def _offenders(tree: ast.AST) -> list[tuple[int, str]]:
    return [
        (line, "not a literal dict" if key is None else key)
        for line, key in _extra_keys(tree)
        if key is None or key in RESERVED
    ]


def test_the_scan_catches_a_reserved_name_in_extra() -> None:
    source = 'log.info("x", extra={"event": "e", "created": 1, "module": "m"})'
    assert _offenders(ast.parse(source)) == [(1, "created"), (1, "module")]


def test_the_scan_asks_for_a_literal_dict_it_can_check() -> None:
    assert _offenders(ast.parse('log.info("x", extra=fields)')) == [(1, "not a literal dict")]


def test_no_log_call_passes_a_logrecord_attribute_in_extra() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE)}:{line}": key
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, key in _offenders(ast.parse(path.read_text()))
    }
    assert offenders == {}
