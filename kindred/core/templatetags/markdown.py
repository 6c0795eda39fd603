"""``{% load markdown %}`` then ``{{ text|markdown }}``: kindred/core/markdown.py in a
template (sanitised HTML; ``#`` headings become ``<h2>``)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from kindred.core.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str, heading_offset: int = 1) -> SafeString:
    return render_markdown(str(text or ""), heading_offset=int(heading_offset))
