"""The settings file (/etc/fit-platform/env) in the one format systemd and sh read alike.

systemd's `EnvironmentFile=` and `set -a; . file` in sh disagree on most values that are more
than a plain word: unquoted spaces (systemd keeps them; sh runs the rest as a command),
double quotes (sh expands `$` and backquotes; systemd does not), backslashes, `;` comments,
`export`, and Windows line ends (systemd drops the CR; sh keeps it in the value). The file
is read both ways (the units, and the guide's commands run by hand), so only the shapes both
read the same are allowed, and `fit-platform check-env-file` (run by each unit before it
starts) refuses anything else, one line per problem, naming the line and the variable but
never the value, which may be a secret:

- a blank line, or a comment: a line that starts with `#`;
- `NAME=value`, where the value is empty, or a plain word of letters, digits and
  `_ @ % + = : , . / -` (and other letters such as `ø`), or anything but a single quote and
  a line end, between single quotes: `FIT_OIDC_SCOPES='openid profile'`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The variable a refused line meant to set, to name it: after blanks and `export`, before `=`.
MEANT = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=")
# A comment after a value: sh ends the value at the blank, systemd keeps the comment in it.
TRAILING_COMMENT = re.compile(r"\s#")
# Characters sh treats specially somewhere in a word, or systemd in a value.
SPECIAL = frozenset("'\"\\$`;&|<>()*?[]{}~!#^")


@dataclass(frozen=True)
class EnvFileProblem:
    line: int
    name: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" ({self.name})" if self.name else "")
        return f"{where}: {self.reason}"


def _plain(value: str) -> bool:
    return all(not c.isspace() and c not in SPECIAL and c.isprintable() for c in value)


def _value_problem(name: str, value: str) -> str | None:
    """Why `value` (what follows `NAME=`, trailing blanks removed) would be read differently
    by systemd and sh, or None."""
    if _plain(value):
        return None
    how_to_quote = f"put the value in single quotes: {name}='...'"
    if value.startswith("'"):
        _inner, closed, after = value[1:].partition("'")
        if not closed:
            return "a single quote is not closed on this line"
        if after:
            return "text follows the closing single quote; quote the whole value"
        return None
    if TRAILING_COMMENT.search(value) and not value.startswith(("'", '"')):
        return (
            "a comment after the value is read as part of it by systemd (sh ends the value "
            "at the blank); put the comment on a line of its own"
        )
    if value.startswith('"'):
        return (
            "double quotes are read differently by systemd and sh ($, \\ and ` inside them); "
            + how_to_quote
        )
    if any(c.isspace() for c in value):
        return "a value with spaces is cut at the first space by sh; " + how_to_quote
    return "the value holds characters sh and systemd read differently; " + how_to_quote


def check_env_file(text: str) -> list[EnvFileProblem]:
    """Every line of `text` that systemd and sh would not read alike (empty when none)."""
    problems: list[EnvFileProblem] = []
    for number, line in enumerate(text.split("\n"), start=1):
        meant = MEANT.match(line)
        meant_name = meant.group(1) if meant else None
        if "\r" in line:
            problems.append(
                EnvFileProblem(
                    number,
                    meant_name,
                    "Windows line end (CR): sh keeps it in the value; save with LF",
                )
            )
            continue
        if not line.strip() or line.startswith("#"):
            continue
        if line[0].isspace():
            reason = "starts with a blank; start at NAME="
            problems.append(EnvFileProblem(number, meant_name, reason))
            continue
        name, equals, value = line.partition("=")
        if line.startswith("export "):
            reason = "'export' is not understood by systemd; write NAME=value"
            problems.append(EnvFileProblem(number, meant_name, reason))
        elif not equals or not NAME.fullmatch(name):
            reason = "not NAME=value (a comment line starts with #)"
            problems.append(EnvFileProblem(number, None, reason))
        elif (why := _value_problem(name, value.rstrip(" \t"))) is not None:
            problems.append(EnvFileProblem(number, name, why))
    return problems


def read_env_file(text: str) -> dict[str, str]:
    """The settings of a file `check_env_file` accepts, as both systemd and sh read them."""
    problems = check_env_file(text)
    if problems:
        raise ValueError(str(problems[0]))
    found: dict[str, str] = {}
    for line in text.split("\n"):
        if not line.strip() or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        value = value.rstrip(" \t")
        found[name] = value[1:-1] if value.startswith("'") else value
    return found
