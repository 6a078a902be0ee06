"""The export codebook's Markdown as the HTML of its page (``/export/codebook``).

The file is one source for two readers: a developer reads it in the repository, an analyst on
the page. What is only for developers (where the version constant lives, which test fails) is
fenced in the file by two HTML comments, which a repository viewer hides and this module cuts
out with everything between them (docs/export.md, "Codebook"). The rest is CommonMark with
pipe tables, rendered by markdown-it-py with raw HTML off, so whatever HTML the file holds is
shown escaped rather than run.

On the page the file's text sits under the page's own translated title, so its level-1 title
is dropped and no heading is above level 2; every table scrolls in its own box named by the
heading above it (a phone's page never scrolls sideways), has column headers and the first
cell of each row as the row's header (a column's name), several names in it one to a line;
code may break after an underscore, so a long column name wraps in a narrow table; a column
alignment, which would be an inline style the content security policy refuses, is dropped;
a link that is not an absolute path or a web address (one into the repository) would be
broken on the page, so its words are shown without it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

DEVELOPER_NOTES = re.compile(
    r"^<!-- for developers\b[^\n]*-->[ \t]*\n.*?^<!-- end for developers -->[ \t]*(?:\n|\Z)",
    re.MULTILINE | re.DOTALL,
)
_LINK_THE_PAGE_CAN_FOLLOW = re.compile(r"^(?:/(?!/)|https://|http://|mailto:|#)", re.IGNORECASE)
_ID_PREFIX = "codebook-"


def reader_text(source: str) -> str:
    """The file without its fenced notes for developers."""
    return DEVELOPER_NOTES.sub("", source)


def codebook_html(source: str) -> Markup:
    """The codebook's page body: the reader's text as HTML, raw HTML in it escaped."""
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    parser.add_render_rule("table_open", _table_open)
    parser.add_render_rule("table_close", _table_close)
    parser.add_render_rule("code_inline", _code_inline)
    tokens = parser.parse(reader_text(source))
    tokens = _without_title(tokens)
    _shape_headings(tokens)
    _shape_tables(tokens)
    for token in tokens:
        if token.type == "inline" and token.children:
            token.children = _without_broken_links(token.children)
    # Safe as markup: with html off, the renderer escapes every text and attribute it writes.
    return Markup(parser.renderer.render(tokens, parser.options, {}))  # noqa: S704


def _without_title(tokens: list[Token]) -> list[Token]:
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        return tokens[3:]
    return tokens


def _shape_headings(tokens: Sequence[Token]) -> None:
    """Levels from 2 down, each heading with an id a table's box can be named by."""
    taken: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type not in ("heading_open", "heading_close"):
            continue
        if token.tag == "h1":
            token.tag = "h2"
        if token.type == "heading_open":
            words = tokens[index + 1].content
            slug = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-") or "section"
            anchor, n = _ID_PREFIX + slug, 1
            while anchor in taken:
                n += 1
                anchor = f"{_ID_PREFIX}{slug}-{n}"
            taken.add(anchor)
            token.attrSet("id", anchor)


def _shape_tables(tokens: Sequence[Token]) -> None:
    heading: str | None = None
    in_body = False
    first_in_row = False
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            heading = str(token.attrGet("id"))
        elif token.type == "table_open":
            token.meta["labelled_by"] = heading
        elif token.type in ("tbody_open", "tbody_close"):
            in_body = token.type == "tbody_open"
        elif token.type == "tr_open":
            first_in_row = True
        elif token.type in ("th_open", "td_open", "th_close", "td_close"):
            if token.attrs.get("style"):
                del token.attrs["style"]
            if token.type == "th_open" and not tokens[index + 1].content.strip():
                # The corner above the row headers heads nothing: an empty data cell.
                token.tag = tokens[index + 2].tag = "td"
            elif token.type == "th_open":
                token.attrSet("scope", "col")
            elif in_body and first_in_row and token.type in ("td_open", "td_close"):
                token.tag = "th"
                if token.type == "td_open":
                    token.attrSet("scope", "row")
                    _names_on_their_own_lines(tokens[index + 1])
                else:
                    first_in_row = False
            elif token.type == "td_open":
                first_in_row = False


def _names_on_their_own_lines(inline: Token) -> None:
    """A row header listing several column names ("`a`, `b`, `c`") gets a line break after
    each comma: the names then break only where a narrow screen needs it, never mid-name
    beside a name that ran on from the line above."""
    children = inline.children or []
    shaped: list[Token] = []
    for position, child in enumerate(children):
        between_names = (
            child.type == "text"
            and child.content.strip() == ","
            and 0 < position < len(children) - 1
            and children[position - 1].type == "code_inline"
            and children[position + 1].type == "code_inline"
        )
        if between_names:
            child.content = ","
            shaped += [child, Token("hardbreak", "br", 0)]
        else:
            shaped.append(child)
    inline.children = shaped


def _without_broken_links(children: list[Token]) -> list[Token]:
    kept: list[Token] = []
    dropped = 0
    for child in children:
        if child.type == "link_open" and not _LINK_THE_PAGE_CAN_FOLLOW.match(
            str(child.attrGet("href") or "")
        ):
            dropped += 1
            continue
        if child.type == "link_close" and dropped:
            # Links do not nest in CommonMark: this closes the one left out.
            dropped -= 1
            continue
        kept.append(child)
    return kept


def _code_inline(renderer: Any, tokens: Sequence[Token], index: int, options: Any, env: Any) -> str:
    """Code, breakable after an underscore: a column's name then fits a phone's table."""
    words = str(escape(tokens[index].content)).replace("_", "_<wbr>")
    return f"<code{renderer.renderAttrs(tokens[index])}>{words}</code>"


def _table_open(renderer: Any, tokens: Sequence[Token], index: int, options: Any, env: Any) -> str:
    labelled_by = tokens[index].meta.get("labelled_by")
    name = f' aria-labelledby="{escape(labelled_by)}"' if labelled_by else ""
    box = f'<div class="table-wrap" tabindex="0" role="region"{name}>'
    return box + str(renderer.renderToken(tokens, index, options, env))


def _table_close(renderer: Any, tokens: Sequence[Token], index: int, options: Any, env: Any) -> str:
    return str(renderer.renderToken(tokens, index, options, env)) + "</div>\n"
