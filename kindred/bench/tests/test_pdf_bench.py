"""The PDF export benchmark: the member it builds has a session a week with
attendance, scores, signed notes and charges, and both PDFs are made and measured."""

from __future__ import annotations

import pytest

from kindred.bench import pdf
from kindred.core.seeding.instruments import seed_instruments
from kindred.notes.models import GroupNote, NoteStatus
from kindred.scheduling.models import GroupSession


@pytest.fixture
def small(cast):
    seed_instruments()
    return pdf.measure(weeks=6, runs=1)


def test_the_member_has_a_session_a_week_with_everything_recorded(small):
    member = small["member"]
    assert member["sessions"] == 6
    assert member["attendance"] == 6
    assert 1 <= member["member_notes"] <= 6
    assert member["charges"] >= 1
    sessions = GroupSession.objects.filter(group__name="Bench two-year group")
    assert sessions.count() == 6
    signed = GroupNote.objects.filter(session__in=sessions).exclude(status=NoteStatus.DRAFT)
    assert signed.exists()


def test_both_pdfs_are_made_and_measured(small):
    for name in ("record_pdf", "superbill_pdf"):
        result = small[name]
        assert result["runs"] == 1
        assert result["pages"] >= 1, name
        assert result["bytes"] > 1000, name
        assert 0 < result["p50_seconds"] <= result["max_seconds"]
    assert small["first_export_seconds"] > 0


def test_pages_are_counted_from_the_page_objects():
    content = b"<< /Type /Pages /Count 2 >> << /Type /Page >> << /Type/Page /Parent 1 0 R >>"
    assert pdf.pdf_pages(content) == 2


def test_pages_are_counted_inside_compressed_object_streams():
    import zlib

    packed = zlib.compress(b"1 0 obj << /Type /Page >> 2 0 obj << /Type /Page >>")
    content = b"%PDF-1.7\n3 0 obj << /Type /ObjStm >>\nstream\n" + packed + b"\nendstream\n"
    assert pdf.pdf_pages(content) == 2


def test_the_summary_reports_both_pdfs():
    from kindred.bench import run

    made = {"runs": 5, "p50_seconds": 1.2, "max_seconds": 1.5, "pages": 60, "bytes": 123456}
    member = {"sessions": 104, "member_notes": 90, "questionnaires": 40, "charges": 104}
    lines = run.pdf_summary({"member": member, "record_pdf": made, "superbill_pdf": made})
    assert "104 weekly sessions" in lines[0]
    assert "record export: p50 1.2 s, max 1.5 s over 5 runs; 60 pages, 123,456 bytes" in lines[1]
    assert lines[2].strip().startswith("superbill:")
    assert run.pdf_summary({}) == []
