"""Markdown for text the practice writes (group agreements, preparation, and more later).

One way to turn Markdown into HTML, used everywhere it is shown (pages, the API's
``*_html`` fields, PDFs): markdown-it-py renders CommonMark with raw HTML switched off
(so ``<script>`` arrives as visible text), then nh3 keeps only an allow-list of tags and
attributes (SECURITY.md: rich text sanitised with nh3). There are no images: a PDF
renderer or a browser must never fetch anything a text's author points at.

Headings are shifted (``#`` becomes ``<h2>`` by default) so that a text placed under a
page's own ``<h1>`` keeps the headings in order.
"""

from __future__ import annotations

import html as html_lib
from functools import cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "code", "pre", "blockquote",
        "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "a",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"scope"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
MAX_HEADING = 6


@cache
def _parser() -> MarkdownIt:
    # CommonMark, raw HTML off, plus tables (GitHub style); no linkify, no typographer.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(text: str, *, heading_offset: int = 1) -> SafeString:
    """Sanitised HTML for ``text``. ``heading_offset`` moves headings down (``#`` is an
    ``<h2>`` with the default 1); headings stay between ``<h2>`` and ``<h6>``."""
    md = _parser()
    tokens = md.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1:]) + heading_offset
            token.tag = f"h{min(MAX_HEADING, max(2, level))}"
        elif token.type == "th_open":
            token.attrSet("scope", "col")
        elif token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "image":
                    # No images (nothing is ever fetched): keep the words they stood for.
                    child.type, child.tag, child.children = "text", "", None
    rendered = md.renderer.render(tokens, md.options, {})
    cleaned = nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 has just sanitised it against the allow-list


def markdown_to_text(text: str) -> str:
    """The words of ``text`` without any markup (for previews and plain-text places)."""
    return html_lib.unescape(nh3.clean(str(render_markdown(text)), tags=set())).strip()
