"""The XSS corpus and its detector (kindred/security/xss), without a database.

The detector must report every payload of the corpus when it is output raw (a template
that marks the value ``|safe``, a Markdown renderer with sanitising off: the broken
variants) and nothing when the same payloads are escaped or go through Kindred's Markdown
renderer, in every context a template puts text: element text, quoted attributes, a
textarea, a title, a link's query string."""

from __future__ import annotations

import pytest
from django.core.validators import URLValidator, validate_email
from django.template import Context, Engine
from markdown_it import MarkdownIt

from kindred.core.markdown import render_markdown
from kindred.security.xss import corpus
from kindred.security.xss.detector import harmless_url, scan_html, scan_text

ENGINE = Engine(builtins=["kindred.core.templatetags.markdown"])
PAGE = """<!doctype html><html><head><title>{{ v }}</title></head><body>
<h1>{{ v }}</h1><p title="{{ v }}" data-confirm='{{ v }}'>{{ v|linebreaksbr }}</p>
<input value="{{ v }}"><textarea>{{ v }}</textarea>
<a href="/search/?q={{ v|urlencode }}">{{ v|truncatechars:40 }}</a>
{{ data|json_script:"chart" }}
<div class="markdown">{{ v|markdown }}</div></body></html>"""
# The broken variants: the same value marked safe, and Markdown without nh3 and with raw
# HTML switched on.
BROKEN = "<!doctype html><html><body><p>{{ v|safe }}</p></body></html>"
UNSANITISED = MarkdownIt("commonmark", {"html": True})

# Payloads that are harmless as element text even when output raw (they need an attribute,
# a URL or a script context, or they only fool filters that strip tags): their contexts
# are checked below.
NEEDS_CONTEXT = {
    i
    for i, p in enumerate(corpus.PAYLOADS)
    if p.kind in ("attribute", "template", "encoded", "crlf", "email", "link", "markdown")
    or p.template
    in (
        "javascript:{m}()",
        "data:text/html;base64,PHNjcmlwdD4=#{m}",
        "<scr<script>ipt>{m}()</scr</script>ipt>",
        "';{m}();'\";{m}();\"",
        "x;background:url(//evil.test/{m});expression({m})",
    )
}


def render(template: str, value: str) -> str:
    return ENGINE.from_string(template).render(Context({"v": value, "data": {"label": value}}))


def test_markers_are_unique_and_parse_back():
    assert 60 <= len(corpus.PAYLOADS) < 100
    rendered = [p.render(7, i) for i, p in enumerate(corpus.PAYLOADS)]
    for i, text in enumerate(rendered):
        assert corpus.marker(7, i) in text
        assert corpus.parse_marker(corpus.marker(7, i)) == (7, i)
    assert len(set(rendered)) == len(rendered)
    assert all(p.length == len(p.render(1, 1)) for p in corpus.PAYLOADS)


def test_email_and_url_payloads_pass_the_validators_a_form_would_run():
    for i in corpus.EMAIL_PAYLOADS:
        validate_email(corpus.PAYLOADS[i].render(3, i))
    for i in corpus.URL_PAYLOADS:
        URLValidator()(corpus.PAYLOADS[i].render(3, i))


def test_pack_fills_a_value_without_passing_its_length():
    for capacity in (9, 13, 40, 120, 300, 2000, None):
        chosen = corpus.pack(corpus.TEXT_PAYLOADS, capacity, 5)
        assert chosen, capacity
        assert chosen[0] in corpus.POLYGLOTS
        value = corpus.value(1, chosen)
        assert capacity is None or len(value) <= capacity
    assert set(corpus.pack(corpus.TEXT_PAYLOADS, None, 0)) == set(corpus.TEXT_PAYLOADS)
    assert corpus.pack(corpus.TEXT_PAYLOADS, 8, 0) == []
    assert len(corpus.pack(corpus.EMAIL_PAYLOADS, 254, 1)) == 1


@pytest.mark.parametrize("index", range(len(corpus.PAYLOADS)))
def test_escaped_payload_is_seen_but_never_markup(index):
    value = corpus.PAYLOADS[index].render(12, index)
    scan = scan_html(render(PAGE, value))
    assert scan.injections == []
    assert corpus.marker(12, index) in scan.seen


@pytest.mark.parametrize("index", sorted(set(range(len(corpus.PAYLOADS))) - NEEDS_CONTEXT))
def test_raw_payload_is_caught(index):
    value = corpus.PAYLOADS[index].render(12, index)
    injections = scan_html(render(BROKEN, value)).injections
    assert injections, value
    assert {i.marker for i in injections} == {corpus.marker(12, index)}


def test_every_polyglot_alone_is_caught_in_every_context_raw():
    contexts = [
        "<p>{}</p>",
        '<p title="{}">x</p>',
        "<p title='{}'>x</p>",
        "<textarea>{}</textarea>",
        "<title>{}</title>",
        "<!-- {} -->",
        '<a href="{}">x</a>',
    ]
    long_one = max(corpus.POLYGLOTS, key=lambda i: corpus.PAYLOADS[i].length)
    value = corpus.PAYLOADS[long_one].render(4, long_one)
    for context in contexts:
        assert scan_html(context.replace("{}", value)).injections, context


def test_attribute_breakouts_are_caught_raw_in_their_context():
    for i, payload in enumerate(corpus.PAYLOADS):
        if payload.kind != "attribute":
            continue
        value = payload.render(5, i)
        quote = "'" if value.startswith("'") else '"'
        if value.startswith("`"):
            document = f"<p title={value}>x</p>"
        else:
            document = f"<p title={quote}{value}{quote}>x</p>"
        assert scan_html(document).injections, value


def test_script_urls_are_caught_raw_in_a_link_and_markdown_keeps_none():
    for i, payload in enumerate(corpus.PAYLOADS):
        value = payload.render(6, i)
        if payload.kind in ("url", "markdown") and value.lower().startswith(("javascript", "data")):
            assert scan_html(f'<a href="{value}">x</a>').injections, value
    assert not harmless_url(" jav\tascript:x()")
    assert not harmless_url("DATA:text/html,x")
    assert harmless_url("/clients/1/?q=javascript:x")
    assert harmless_url("https://example.test/javascript:x")


def test_markdown_payloads_sanitised_by_kindred_but_caught_unsanitised():
    caught = 0
    for i, payload in enumerate(corpus.PAYLOADS):
        value = payload.render(8, i)
        assert scan_html(f"<div>{render_markdown(value)}</div>").injections == [], value
        if scan_html(f"<div>{UNSANITISED.render(value)}</div>").injections:
            caught += 1
    # Raw HTML on and no nh3: most of the corpus becomes markup.
    assert caught >= 30


def test_evaluated_template_is_caught_and_plain_text_is_not():
    for i, payload in enumerate(corpus.PAYLOADS):
        if payload.kind != "template":
            continue
        value = payload.render(9, i)
        assert scan_text(value).injections == []
        if "{{" in value:
            evaluated = ENGINE.from_string(value.replace("7*7", "7|add:42")).render(Context())
            assert scan_text(evaluated).injections, evaluated
            assert scan_html(f"<p>{evaluated}</p>").injections


def test_json_data_blocks_are_data_but_a_script_is_not():
    value = corpus.PAYLOADS[2].render(10, 2)
    assert scan_html(render('{{ data|json_script:"x" }}', value)).injections == []
    assert scan_html(f'<script type="application/json">"{value}</script>').injections
    assert scan_html(f"<script>var x = '{value}';</script>").injections


def test_htmx_data_attributes_with_modifiers_are_data_unless_they_run_script():
    marker = corpus.marker(5, 1)
    inherited = f'<body hx-headers:inherited=\'{{"X-CSRFToken": "a{marker}b"}}\'></body>'
    assert scan_html(inherited).injections == []
    assert scan_html(f'<div hx-vals:append=\'{{"q": "{marker}"}}\'></div>').injections == []
    script = scan_html(f"<body hx-vals:inherited='js:alert(\"{marker}\")'></body>").injections
    assert [(i.kind, i.marker) for i in script] == [("attribute", marker)]
    # Any other attribute holding the marker is still markup the payload made.
    assert scan_html(f"<div hx-on:click='{marker}'></div>").injections


def test_a_marker_no_payload_planted_is_counted_stray_not_injected():
    from kindred.clients.models import Client
    from kindred.security.xss.fields import FreeTextField
    from kindred.security.xss.fill import Placed
    from kindred.security.xss.run import Report, _attribute

    report = Report()
    planted_field = FreeTextField(
        7, "clients.Client.notes", Client, "notes", None, "text", False, False
    )
    report.placed.append(Placed(planted_field, (3,), 1))
    page = (
        f"<div onclick='{corpus.marker(7, 3)}'></div>"  # planted: an injection
        f"<div onclick='{corpus.marker(932, 21)}'></div>"  # inside a random token: stray
        f"<div onclick='{corpus.marker(7, 4)}'></div>"  # field 7 never got payload 4: stray
    )
    _attribute(report, scan_html(page), "pages", "/x/", "admin")
    assert [f.injection.marker for f in report.findings] == [corpus.marker(7, 3)]
    assert len(report.stray_markers) == 2
    assert report.as_dict()["figures"]["stray_markers"] == 2
