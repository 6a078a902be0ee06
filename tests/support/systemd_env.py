"""How systemd reads an `EnvironmentFile=`, and how `set -a; . file` in sh reads the same file.

`systemd_environment_file` follows the state machine of systemd's `parse_env_file_internal`
(src/basic/env-file.c, as of v254–v256): comments start with `#` or `;` where a key may
start; the key is trimmed; after `=`, blanks are skipped, then a value may open with a
single quote (literal up to the next one) or a double quote (backslash escapes only
`"`, `\\`, `` ` `` and `$`, keeps itself before anything else, and eats an escaped line end);
unquoted, a backslash escapes the next character, inner blanks stay and trailing ones go;
a quote in the middle of an unquoted value is an ordinary character; CR counts as a line
end. `$` is never expanded. Keys that are not valid names are dropped with a warning by the
service manager, as here.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

COMMENTS = "#;"
WHITESPACE = " \t\n\r"
NEWLINE = "\n\r"
SHELL_NEED_ESCAPE = '"\\`$'
VALID_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def systemd_environment_file(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    state = "PRE_KEY"
    key: list[str] = []
    value: list[str] = []
    key_trail: int | None = None
    value_trail: int | None = None

    def push() -> None:
        nonlocal key, value
        name = "".join(key if key_trail is None else key[:key_trail])
        if VALID_NAME.fullmatch(name):
            found[name] = "".join(value)
        key, value = [], []

    for c in text:
        if state == "PRE_KEY":
            if c in COMMENTS:
                state = "COMMENT"
            elif c not in WHITESPACE:
                state, key_trail = "KEY", None
                key.append(c)
        elif state == "KEY":
            if c in NEWLINE:
                state, key = "PRE_KEY", []
            elif c == "=":
                state, value_trail = "PRE_VALUE", None
            else:
                if c not in WHITESPACE:
                    key_trail = None
                elif key_trail is None:
                    key_trail = len(key)
                key.append(c)
        elif state == "PRE_VALUE":
            if c in NEWLINE:
                state = "PRE_KEY"
                push()
            elif c == "'":
                state = "SINGLE_QUOTE_VALUE"
            elif c == '"':
                state = "DOUBLE_QUOTE_VALUE"
            elif c == "\\":
                state = "VALUE_ESCAPE"
            elif c not in WHITESPACE:
                state = "VALUE"
                value.append(c)
        elif state == "VALUE":
            if c in NEWLINE:
                state = "PRE_KEY"
                if value_trail is not None:
                    del value[value_trail:]
                push()
            elif c == "\\":
                state, value_trail = "VALUE_ESCAPE", None
            else:
                if c not in WHITESPACE:
                    value_trail = None
                elif value_trail is None:
                    value_trail = len(value)
                value.append(c)
        elif state == "VALUE_ESCAPE":
            state = "VALUE"
            if c not in NEWLINE:
                value.append(c)
        elif state == "SINGLE_QUOTE_VALUE":
            if c == "'":
                state = "PRE_VALUE"
            else:
                value.append(c)
        elif state == "DOUBLE_QUOTE_VALUE":
            if c == '"':
                state = "PRE_VALUE"
            elif c == "\\":
                state = "DOUBLE_QUOTE_VALUE_ESCAPE"
            else:
                value.append(c)
        elif state == "DOUBLE_QUOTE_VALUE_ESCAPE":
            state = "DOUBLE_QUOTE_VALUE"
            if c in SHELL_NEED_ESCAPE:
                value.append(c)
            elif c != "\n":
                value.extend(("\\", c))
        elif state == "COMMENT":
            if c == "\\":
                state = "COMMENT_ESCAPE"
            elif c in NEWLINE:
                state = "PRE_KEY"
        elif state == "COMMENT_ESCAPE":
            state = "PRE_KEY" if c in NEWLINE else "COMMENT"
    if state in (
        "PRE_VALUE",
        "VALUE",
        "VALUE_ESCAPE",
        "SINGLE_QUOTE_VALUE",
        "DOUBLE_QUOTE_VALUE",
        "DOUBLE_QUOTE_VALUE_ESCAPE",
    ):
        if state == "VALUE" and value_trail is not None:
            del value[value_trail:]
        push()
    return found


def sh_set_a_dot(path: Path, names: list[str]) -> dict[str, str | None]:
    """`set -a; . file` in /bin/sh as the service user (`sudo -u fit`: a home, a plain PATH):
    each name's value as exported
    (None when the file left it unset, e.g. because sh ran the rest of the line as a command)."""
    script = (
        'set -a; . "$1"; shift; '
        'for n in "$@"; do eval "printf %s \\"\\${$n-@UNSET@}\\""; printf "\\0"; done'
    )
    completed = subprocess.run(
        ["/bin/sh", "-c", script, "sh", str(path), *names],
        env={"PATH": os.defpath, "HOME": "/home/fit"},
        capture_output=True,
        timeout=30,
    )
    values = completed.stdout.decode("utf-8", "replace").split("\0")[: len(names)]
    if len(values) < len(names):  # sh gave up on the file (a syntax error)
        return dict.fromkeys(names)
    return {name: None if v == "@UNSET@" else v for name, v in zip(names, values, strict=True)}
