"""One run of the XSS part: data, payloads, every surface, findings and figures.

Call ``run()`` inside a test database (pytest's ``db`` fixture, or the CLI's own throwaway
database). Each round writes payloads into every covered field (a different selection of
the corpus each round, see fill.py), then reads them back on every surface:

- ``pages``: a crawl as each role (staff and members), pages other than the two below;
- ``space``: the group space's pages and their htmx fragments (as members and staff);
- ``admin``: the pages crawled as the practice administrator (Kindred has no Django
  admin site: django.contrib.admin is not installed);
- ``fragments``: htmx answers (``HX-Request``) on any page;
- ``reflected``: GET forms submitted with payloads in every text box;
- ``emails`` and ``pdfs``: see outputs.py.

JSON answers (the API, FHIR) are data, not markup: they are not crawled here (the API's
rendered ``*_html`` fields come from the same Markdown renderer the pages use).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.test import Client as HttpClient

from kindred.security.xss import corpus, dataset, senders
from kindred.security.xss.crawl import Limits, Outlinks, Request, crawl
from kindred.security.xss.detector import Injection, Scan, scan_html, scan_text
from kindred.security.xss.fields import FreeTextField, inventory
from kindred.security.xss.fill import Placed, fill
from kindred.security.xss.outputs import (
    OutputResult,
    make_every_pdf,
    recording_pdfs,
    send_every_email,
)

REFLECTED_FIELD = 999  # the field part of markers typed into GET forms


@dataclass(frozen=True)
class Options:
    full: bool = False
    rounds: int = 1
    roles: tuple[str, ...] = dataset.QUICK_ROLES
    pages_per_role: int = 110
    per_shape: int = 1
    seconds_per_role: float = 60.0
    lay_out_pdfs: bool = False
    emails: bool = True
    pdfs: bool = True

    @classmethod
    def quick(cls) -> Options:
        return cls()

    @classmethod
    def thorough(cls) -> Options:
        return cls(
            full=True,
            rounds=2,
            roles=dataset.ALL_ROLES,
            pages_per_role=250,
            per_shape=2,
            seconds_per_role=150.0,
            lay_out_pdfs=True,
        )


@dataclass
class Finding:
    surface: str
    where: str
    role: str
    injection: Injection
    field: str
    payload: int | None

    def as_dict(self) -> dict[str, Any]:
        kind = corpus.PAYLOADS[self.payload].kind if self.payload is not None else ""
        return {
            "surface": self.surface,
            "where": self.where,
            "role": self.role,
            "kind": self.injection.kind,
            "detail": self.injection.detail,
            "marker": self.injection.marker,
            "field": self.field,
            "payload": self.payload,
            "payload_kind": kind,
        }


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    surfaces: Counter[str] = field(default_factory=Counter)
    responses: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    fields: list[FreeTextField] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)
    stale_exclusions: list[str] = field(default_factory=list)
    placed: list[Placed] = field(default_factory=list)
    seconds: float = 0.0

    #: Marker-shaped text no payload of this run planted (``xk`` and five digits inside
    #: a random CSRF token, say): not an injection, counted so it is visible.
    stray_markers: list[str] = field(default_factory=list)

    def planted(self, parsed: tuple[int, int]) -> bool:
        """Whether a payload of this run carries the marker (field, payload)."""
        field_index, payload = parsed
        if field_index == REFLECTED_FIELD:
            return payload < len(corpus.PAYLOADS)
        return any(p.field.index == field_index and payload in p.payloads for p in self.placed)

    def field_label(self, index: int) -> str:
        if index == REFLECTED_FIELD:
            return "(a GET form's text box)"
        return self.fields[index].label if index < len(self.fields) else f"(field {index})"

    @property
    def refused(self) -> dict[str, str]:
        """Fields whose payloads the database refused (a CHECK constraint on the format)."""
        return {p.field.label: p.refused for p in self.placed if p.refused}

    @property
    def unfilled(self) -> list[str]:
        filled = {p.field.label for p in self.placed if p.rows and p.payloads}
        return sorted({f.label for f in self.fields} - filled - set(self.refused))

    @property
    def fields_seen(self) -> set[str]:
        return {
            self.field_label(parsed[0])
            for m in self.seen
            if (parsed := corpus.parse_marker(m)) is not None and parsed[0] != REFLECTED_FIELD
        }

    @property
    def pairs_placed(self) -> int:
        return len({(p.field.index, i) for p in self.placed if p.rows for i in p.payloads})

    @property
    def passed(self) -> bool:
        return not self.findings and not self.unfilled and not self.stale_exclusions

    def as_dict(self) -> dict[str, Any]:
        surfaces = {k: self.surfaces.get(k, 0) for k in ("pages", "emails", "pdfs", "space")}
        surfaces["admin"] = self.surfaces.get("admin", 0)
        surfaces["fragments"] = self.surfaces.get("fragments", 0)
        surfaces["reflected"] = self.surfaces.get("reflected", 0)
        never_seen = sorted({f.label for f in self.fields} - self.fields_seen)
        return {
            "part": "xss",
            "passed": self.passed,
            "figures": {
                "payloads": len(corpus.PAYLOADS),
                "fields_covered": len(self.fields),
                "fields_excluded": len(self.excluded),
                "fields_filled": len(self.fields) - len(self.unfilled) - len(self.refused),
                "fields_refused_by_database": len(self.refused),
                "fields_seen_on_a_surface": len(self.fields_seen),
                "field_payload_pairs_placed": self.pairs_placed,
                "surfaces": surfaces,
                "responses_scanned": self.responses,
                "injected_elements": len(self.findings),
                "stray_markers": len(self.stray_markers),
                "server_errors": len(self.server_errors),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "seconds": round(self.seconds, 1),
            },
            "findings": [f.as_dict() for f in self.findings],
            "unfilled_fields": self.unfilled,
            "refused_by_database": self.refused,
            "stale_exclusions": self.stale_exclusions,
            "stray_markers": self.stray_markers[:20],
            "fields_never_seen": never_seen,
            "server_errors": self.server_errors[:50],
            "notes": self.notes[:100],
            "excluded": self.excluded,
        }


def _attribute(report: Report, scan: Scan, surface: str, where: str, role: str) -> None:
    report.responses += 1
    report.surfaces[surface] += 1
    report.seen |= scan.seen
    for injection in scan.injections:
        parsed = corpus.parse_marker(injection.marker) if injection.marker else None
        if parsed is not None and not report.planted(parsed):
            report.stray_markers.append(f"{injection.marker} in {injection.detail} at {where}")
            continue
        report.findings.append(
            Finding(
                surface=surface,
                where=where,
                role=role,
                injection=injection,
                field=report.field_label(parsed[0]) if parsed else "",
                payload=parsed[1] if parsed else None,
            )
        )


def _surface(view: str, role: str, fragment: bool, reflected: bool) -> str:
    if reflected:
        return "reflected"
    if ":space" in view or view.startswith("space"):
        return "space"
    if fragment:
        return "fragments"
    if role == "admin":
        return "admin"
    return "pages"


def _reflect_value() -> Callable[[str], str]:
    chosen = corpus.pack(corpus.LINE_PAYLOADS, 200, 0)
    text = corpus.value(REFLECTED_FIELD, chosen, line=True)
    return lambda _name: text


def crawl_role(report: Report, http: HttpClient, role: str, options: Options) -> None:
    """Crawl as ``role``; a PDF a page makes is scanned from the HTML WeasyPrint got."""
    with recording_pdfs(lay_out=options.lay_out_pdfs) as documents:
        _crawl_role(report, http, role, options, documents)


def _crawl_role(
    report: Report, http: HttpClient, role: str, options: Options, documents: list[str]
) -> None:
    limits = Limits(options.pages_per_role, options.per_shape, options.seconds_per_role)
    reflected_marker = corpus.marker(REFLECTED_FIELD, 0)[:5]
    for visit in crawl(http, dataset.STARTS, limits, reflect=_reflect_value()):
        report.statuses[visit.status] += 1
        url = visit.request.url
        while documents:
            _attribute(report, scan_html(documents.pop(0)), "pdfs", url, role)
        if visit.status >= 500:
            report.server_errors.append(f"{role} GET {url} ({visit.view}): {visit.status}")
            continue
        if visit.status != 200 or not visit.body:
            continue
        reflected = reflected_marker in url.lower()
        surface = _surface(visit.view, role, visit.request.fragment, reflected)
        kind = visit.content_type.split(";")[0].strip().lower()
        if kind == "text/html":
            scan = scan_html(visit.body, links=True)
            visit.outlinks = Outlinks(
                links=[Request(u, hx) for u, hx in scan.links], get_forms=scan.get_forms
            )
        elif kind in ("text/plain", "text/csv", "text/calendar"):
            scan = scan_text(visit.body)
        else:
            if kind != "application/pdf":  # PDFs: their HTML was scanned above
                report.notes.append(f"{role} GET {url}: {kind} not scanned")
            continue
        _attribute(report, scan, surface, url, role)


def _outputs(report: Report, result: OutputResult) -> None:
    for item in result.captured:
        _attribute(report, item.scan, item.surface + "s", item.where, "")
    report.notes.extend(result.notes)


def run(options: Options, *, progress: Callable[[str], object] | None = None) -> Report:
    """The whole part, in the current (test) database."""
    say = progress or (lambda _text: None)
    started = time.monotonic()
    report = Report()
    inv = inventory()
    report.fields, report.excluded, report.stale_exclusions = inv.covered, inv.excluded, inv.stale
    say("building the data set")
    people, built = dataset.build({f.model._meta.label for f in inv.covered})
    report.notes.extend(f"made a row of {label}" for label in built.made)
    for round_no in range(options.rounds):
        say(f"round {round_no + 1}: payloads into {len(inv.covered)} fields")
        report.placed.extend(fill(inv.covered, round_no))
        cache.clear()  # cached copies (the practice's settings) would hide new values
        for role in options.roles:
            say(f"round {round_no + 1}: crawling as {role}")
            crawl_role(report, people.client_for(role), role, options)
        if options.emails:
            say(f"round {round_no + 1}: e-mails")
            _outputs(report, send_every_email(senders.email_senders(people)))
        if options.pdfs:
            say(f"round {round_no + 1}: PDFs")
            makers = senders.pdf_makers(people)
            _outputs(report, make_every_pdf(makers, lay_out=options.lay_out_pdfs))
    report.seconds = time.monotonic() - started
    return report
