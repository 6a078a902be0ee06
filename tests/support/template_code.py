"""The templates' compiled code, kept once per test process instead of once per app.

Most tests build an app of their own, and each app's Jinja environment lexes, parses and
compiles every template it renders anew (the base layout, the page, its macros): some
10 ms of CPU per template here, for the same files every time. Jinja has a public hook for
this, the bytecode cache (`jinja2.BytecodeCache`): keyed by the template's name and file,
checked against a checksum of its source, so an edited template is compiled again. The test
process keeps each template's code object in a dict and hands it to the next app that
loads the same source.

Only the tests do this: a server builds its app once, and compiles each template once.
Every app the tests build has the same Jinja options (the app factory's), so the compiled
code of one is the code of the next.
"""

from __future__ import annotations

from types import CodeType

from flask import Flask
from jinja2.bccache import Bucket, BytecodeCache


class ProcessTemplateCode(BytecodeCache):
    """Compiled template code by template, for the life of the process."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        kept = self._kept.get(bucket.key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._kept[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        self._kept.clear()


def keep_template_code() -> None:
    """Give every Flask app built from now on the process's template code."""
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": ProcessTemplateCode()}
