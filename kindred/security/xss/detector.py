"""Finding injected markup in an HTML answer, by marker.

The document is parsed as a browser would parse it (tinyhtml5, a WHATWG HTML parser,
already installed with WeasyPrint), then every node is checked. A marker (see corpus.py)
in any of these places means a payload became markup instead of text:

- an element or attribute name (``<xk01200>``, ``<b xk01200=1>``);
- the text of a script (unless it is a JSON data block that parses as JSON) or a style
  element, or a comment;
- an attribute value, unless the attribute carries text (``value``, ``title``, ``alt``,
  ``placeholder``, ``label``, ``aria-*``, ``data-*``, ``content`` of a meta that is not a
  refresh...) or is a navigation URL (``href`` of a link, ``action``/``formaction``,
  htmx's request URLs) whose scheme is http, https, mailto, tel or none (a relative
  URL). Everything else, event handlers, ``style``, ``src``, ``srcdoc``, ``xlink:href``,
  a ``base`` or ``link`` ``href``, an ``object``'s ``data``, is markup the payload made;
- the decoded text, when a marker is followed by the result of a template expression
  (``xk0120314``: ``{{ 7|add:7 }}`` was evaluated).

A marker anywhere else (text, text attributes, safe links) is counted as seen: that is
how the run proves a field's value reached a surface.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Comment, Element

import tinyhtml5  # type: ignore[import-untyped]

from kindred.security.xss.corpus import EVALUATED_RE, MARKER_RE

TEXT_ATTRIBUTES = frozenset(
    {"value", "title", "alt", "placeholder", "label", "summary", "datetime", "abbr"}
)
# Attributes holding a URL a person navigates to (or a request htmx makes on the same
# origin): a marker is fine there when the scheme is harmless.
NAVIGATION_URLS = frozenset(
    {
        "href",  # only on a and area; elsewhere (base, link) it loads or redirects
        "action",
        "formaction",
        "hx-get",
        "hx-post",
        "hx-put",
        "hx-patch",
        "hx-delete",
        "hx-push-url",
        "hx-replace-url",
    }
)
HTMX_DATA = frozenset({"hx-vals", "hx-headers", "hx-vars"})
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
JSON_TYPES = frozenset({"application/json", "application/ld+json", "importmap"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]")
_NAMESPACES = {
    "http://www.w3.org/1999/xlink": "xlink:",
    "http://www.w3.org/XML/1998/namespace": "xml:",
    "http://www.w3.org/2000/xmlns/": "xmlns:",
}


@dataclass(frozen=True)
class Injection:
    """One piece of markup a payload made: ``kind`` (element, attribute-name, attribute,
    script, style, comment, evaluated), a short ``detail`` and the ``marker`` found."""

    kind: str
    detail: str
    marker: str


@dataclass
class Scan:
    injections: list[Injection]
    seen: set[str]  # every marker found anywhere, lower-case
    # Where a browser could go next: (url, is an htmx request) and GET forms (action,
    # names of their text boxes).
    links: list[tuple[str, bool]] = field(default_factory=list)
    get_forms: list[tuple[str, list[str]]] = field(default_factory=list)


def _local(name: str) -> str:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return _NAMESPACES.get(namespace, "") + local
    return name


def _markers(text: str | None) -> list[str]:
    return [m.group(0).lower() for m in MARKER_RE.finditer(text or "")]


def harmless_url(value: str) -> bool:
    """True for a relative URL or one with a harmless scheme, read as a browser does (it
    drops ASCII whitespace and control characters anywhere and ignores case)."""
    cleaned = _URL_NOISE.sub("", value).lower()
    found = _SCHEME.match(cleaned)
    return found is None or found[1] in SAFE_SCHEMES


def _attribute_ok(tag: str, name: str, value: str, element: Element) -> bool:
    # htmx 2 reads ``hx-headers:inherited`` / ``hx-vals:append`` as the attribute itself.
    name = name.split(":", 1)[0] if name.startswith("hx-") else name
    if name in TEXT_ATTRIBUTES or name.startswith(("aria-", "data-")):
        return True
    if name == "content":
        return (element.get("http-equiv") or "").lower() != "refresh"
    if name == "href":
        return tag in ("a", "area") and harmless_url(value)
    if name in NAVIGATION_URLS:
        return harmless_url(value)
    if name in HTMX_DATA:
        return not value.lstrip().lower().startswith(("js:", "javascript:"))
    return False


def _script_ok(element: Element, text: str) -> bool:
    kind = (element.get("type") or "").strip().lower()
    if kind not in JSON_TYPES:
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _walk(root: Element) -> Iterator[Element]:
    yield root
    for child in root:
        yield from _walk(child)


TEXT_INPUTS = frozenset({"", "text", "search", "email", "tel", "url"})


def _text_box(element: Element) -> bool:
    name: Any = element.tag
    if not isinstance(name, str) or not element.get("name"):
        return False
    kind = (element.get("type") or "").lower()
    return name.lower() == "textarea" or (name.lower() == "input" and kind in TEXT_INPUTS)


def _outlinks(root: Element, scan: Scan) -> None:
    for element in _walk(root):
        name: Any = element.tag  # a str, or ElementTree's Comment factory for comments
        if not isinstance(name, str):
            continue
        tag = name.lower()
        href = element.get("href")
        if tag in ("a", "area") and href and harmless_url(href) and not href.startswith("#"):
            scan.links.append((href, False))
        hx_get = element.get("hx-get")
        if hx_get and harmless_url(hx_get):
            scan.links.append((hx_get, True))
        if tag == "form" and (element.get("method") or "get").lower() == "get":
            names = [str(box.get("name")) for box in _walk(element) if _text_box(box)]
            scan.get_forms.append((element.get("action") or "", names))


def scan_html(document: str, *, links: bool = False) -> Scan:
    """Parse ``document`` as a browser would and report every marker in a markup place
    (and, with ``links``, where a browser could go next)."""
    found: list[Injection] = []
    root: Element = tinyhtml5.parse(document, namespace_html_elements=False, scripting=True)
    for element in _walk(root):
        name: Any = element.tag  # a str, or ElementTree's Comment factory for comments
        if name is Comment:
            found.extend(Injection("comment", "<!-- -->", m) for m in _markers(element.text))
            continue
        if not isinstance(name, str):
            continue
        tag = _local(name).lower()
        found.extend(Injection("element", f"<{tag}>", m) for m in _markers(tag))
        for raw_name, raw_value in element.attrib.items():
            name = _local(str(raw_name)).lower()
            value = str(raw_value)
            found.extend(Injection("attribute-name", f"<{tag} {name}>", m) for m in _markers(name))
            markers = _markers(value)
            if markers and not _attribute_ok(tag, name, value, element):
                found.extend(Injection("attribute", f"<{tag} {name}=...>", m) for m in markers)
        text = "".join(element.itertext()) if tag in ("script", "style") else ""
        if tag == "script" and _markers(text) and not _script_ok(element, text):
            found.extend(Injection("script", "<script>", m) for m in _markers(text))
        elif tag == "style":
            found.extend(Injection("style", "<style>", m) for m in _markers(text))
    decoded = html_lib.unescape(document)
    found.extend(
        Injection("evaluated", hit.group(0), hit.group(0)[:7].lower())
        for hit in EVALUATED_RE.finditer(decoded)
    )
    scan = Scan(injections=_unique(found), seen=set(_markers(decoded)))
    if links:
        _outlinks(root, scan)
    return scan


def scan_text(text: str) -> Scan:
    """A plain-text surface (an e-mail's text part): nothing there is markup, but a
    template expression must not have been evaluated."""
    found = [
        Injection("evaluated", hit.group(0), hit.group(0)[:7].lower())
        for hit in EVALUATED_RE.finditer(text)
    ]
    return Scan(injections=found, seen=set(_markers(text)))


def _unique(items: list[Injection]) -> list[Injection]:
    seen: set[Injection] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def describe(injection: Injection) -> dict[str, Any]:
    return {"kind": injection.kind, "detail": injection.detail, "marker": injection.marker}
