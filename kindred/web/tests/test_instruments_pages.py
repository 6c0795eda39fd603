"""The instrument library pages: list, detail, loading a licensed instrument, settings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kindred.audit.models import AuditEvent
from kindred.core.testing import signed_in
from kindred.measures.definitions import FORMAT
from kindred.measures.library import MAX_DEFINITION_BYTES
from kindred.measures.models import Instrument, InstrumentVersion

LIST = "/instruments/"
LOAD = "/instruments/load/"


def document(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": FORMAT,
        "code": "licensed-scale",
        "name": "Licensed Scale",
        "short_name": "LS",
        "version": "1",
        "source": "Example A. A licensed scale. 2020.",
        "licence": "Licence 123 held by the practice.",
        "items": [
            {
                "key": f"q{n}",
                "text": f"Statement {n}",
                "options": [{"value": v, "label": f"Answer {v}"} for v in range(4)],
            }
            for n in (1, 2, 3)
        ],
        "scoring": {"method": "sum"},
        "bands": {
            "ranges": [
                {"code": "low", "label": "Low", "min": 0, "max": 4},
                {"code": "high", "label": "High", "min": 5, "max": 9},
            ]
        },
        "flags": [
            {
                "code": "ls.q3",
                "label": "Q3 answered",
                "on": "item",
                "item": "q3",
                "op": ">",
                "value": 0,
                "safety": True,
            }
        ],
        "higher_is_better": False,
    }
    doc.update(overrides)
    return doc


def upload(content: bytes | dict[str, Any], name: str = "scale.json") -> SimpleUploadedFile:
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    return SimpleUploadedFile(name, raw, content_type="application/json")


def test_library_lists_every_instrument_with_source_and_licence(
    cast, builtin_instruments, django_assert_max_num_queries
):
    http = signed_in(cast.facilitator)
    with django_assert_max_num_queries(15):
        response = http.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    for name in (
        "Patient Health Questionnaire (PHQ-9)",
        "WHO-5 Well-Being Index",
        "Kindred group pulse",
    ):
        assert name in html
    assert "Kroenke K, Spitzer RL, Williams JBW" in html
    assert "Not a validated instrument" in html
    assert "Load an instrument you hold a licence for" not in html  # facilitators don't load


def test_library_query_count_does_not_grow(
    cast, builtin_instruments, django_assert_max_num_queries
):
    http = signed_in(cast.admin)
    with django_assert_max_num_queries(15) as before:
        http.get(LIST)
    for n in range(12):
        Instrument.objects.create(
            code=f"extra{n}",
            name=f"Extra {n}",
            short_name=f"X{n}",
            version="1",
            definition=builtin_instruments.gad7.definition,
            definition_sha256=builtin_instruments.gad7.definition_sha256,
        )
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = http.get(LIST)
    assert "Extra 11" in response.content.decode()


def test_members_get_404(cast, builtin_instruments):
    http = signed_in(cast.member)
    assert http.get(LIST).status_code == 404
    assert http.get("/instruments/phq9/").status_code == 404
    assert http.get(LOAD).status_code == 404


def test_empty_library_says_what_comes_next(cast):
    response = signed_in(cast.admin).get(LIST)
    assert "No instruments yet." in response.content.decode()
    assert "sync_instruments" in response.content.decode()


def test_detail_shows_items_bands_flags_and_reliable_change(cast, builtin_instruments):
    response = signed_in(cast.facilitator).get("/instruments/phq9/")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    assert "Thoughts that you would be better off dead or of hurting yourself in some way" in html
    assert "Moderately severe" in html
    assert "phq9.item9" in html
    assert "item9 &gt; 0" in html
    assert "Yes: alerts the member" in html
    assert "0.89" in html
    assert "not computed until both s1 and r are set" in html
    assert "Caseness at 10." in html


def test_detail_computes_the_critical_difference(cast, builtin_instruments):
    Instrument.objects.filter(code="gad7").update(rc_sd=5.0, rc_reliability=0.84)
    html = signed_in(cast.admin).get("/instruments/gad7/").content.decode()
    # S_diff = √(2·(5·0.4)²) = 2.83; 1.96 · 2.828 = 5.54
    assert "S<sub>diff</sub> = 2.83" in html
    assert "more than 5.54 points" in html


def test_unknown_instrument_is_404(cast, builtin_instruments):
    assert signed_in(cast.admin).get("/instruments/nope/").status_code == 404


def test_admin_loads_a_licensed_instrument(cast, builtin_instruments):
    http = signed_in(cast.admin)
    assert http.get(LOAD).status_code == 200
    response = http.post(LOAD, {"file": upload(document()), "licence_confirmed": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/instruments/licensed-scale/"
    instrument = Instrument.objects.get(code="licensed-scale")
    assert instrument.licence_confirmed_by == cast.admin
    assert instrument.builtin is False
    assert InstrumentVersion.objects.filter(instrument=instrument, version="1").exists()
    assert AuditEvent.objects.filter(action="measures.instrument.loaded").count() == 1
    detail = http.get("/instruments/licensed-scale/").content.decode()
    assert "Loaded by the practice" in detail
    assert "Licence confirmed" in detail


def test_loading_without_the_licence_box_saves_nothing(cast, builtin_instruments):
    http = signed_in(cast.admin)
    response = http.post(LOAD, {"file": upload(document())})
    assert response.status_code == 200
    assert "Confirm that the practice holds a licence" in response.content.decode()
    assert not Instrument.objects.filter(code="licensed-scale").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "The file is not valid JSON"),
        (document(revrese=["q1"]), "unknown key &#x27;revrese&#x27;"),
        (
            document(
                bands={
                    "ranges": [
                        {"code": "a", "label": "A", "min": 0, "max": 5},
                        {"code": "b", "label": "B", "min": 5, "max": 9},
                    ]
                }
            ),
            "overlap",
        ),
        (
            document(
                flags=[
                    {"code": "x", "label": "X", "on": "item", "item": "q9", "op": ">", "value": 0}
                ]
            ),
            "names the item &#x27;q9&#x27;, which does not exist",
        ),
        (document(code="phq9"), "built-in instrument"),
    ],
)
def test_bad_files_are_refused_with_a_specific_message(cast, builtin_instruments, content, message):
    http = signed_in(cast.admin)
    before = Instrument.objects.count()
    response = http.post(LOAD, {"file": upload(content), "licence_confirmed": "on"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Instrument.objects.count() == before
    assert not AuditEvent.objects.filter(action="measures.instrument.loaded").exists()


def test_a_file_over_the_limit_is_refused_unread(cast, builtin_instruments):
    http = signed_in(cast.admin)
    big = b"{" + b" " * (MAX_DEFINITION_BYTES + 10) + b"}"
    response = http.post(LOAD, {"file": upload(big), "licence_confirmed": "on"})
    assert response.status_code == 200
    assert "The file is too large (at most 256 KB)." in response.content.decode()
    assert not Instrument.objects.filter(builtin=False).exists()


def test_a_new_version_replaces_and_keeps_the_old(cast, builtin_instruments):
    http = signed_in(cast.admin)
    http.post(LOAD, {"file": upload(document()), "licence_confirmed": "on"})
    same = http.post(LOAD, {"file": upload(document()), "licence_confirmed": "on"})
    assert "is already loaded" in same.content.decode()
    changed = document(name="Licensed Scale (revised)")
    clash = http.post(LOAD, {"file": upload(changed), "licence_confirmed": "on"})
    assert "Give the changed definition a new version" in clash.content.decode()
    changed["version"] = "2"
    assert http.post(LOAD, {"file": upload(changed), "licence_confirmed": "on"}).status_code == 302
    instrument = Instrument.objects.get(code="licensed-scale")
    assert (instrument.version, instrument.name) == ("2", "Licensed Scale (revised)")
    assert set(instrument.versions.values_list("version", flat=True)) == {"1", "2"}


def test_others_may_not_load_or_change_settings(cast, builtin_instruments):
    for who in (cast.coordinator, cast.facilitator, cast.supervisor):
        http = signed_in(who)
        assert http.get(LOAD).status_code == 403
        assert (
            http.post(LOAD, {"file": upload(document()), "licence_confirmed": "on"}).status_code
            == 403
        )
        assert http.get("/instruments/phq9/settings/").status_code == 403
        assert http.post("/instruments/phq9/settings/", {"rc_sd": "5"}).status_code == 403
    assert not Instrument.objects.filter(code="licensed-scale").exists()
    assert Instrument.objects.get(code="phq9").rc_sd is None


def test_admin_changes_rc_parameters_and_cutoffs(cast, builtin_instruments):
    http = signed_in(cast.admin)
    page = http.get("/instruments/pcl5/settings/").content.decode()
    assert "Provisional PTSD cut-off" in page
    assert "31–33" in page
    response = http.post(
        "/instruments/pcl5/settings/",
        {
            "rc_sd": "14.2",
            "rc_reliability": "0.94",
            "rc_source": "Our intake sample (n = 212), 2025",
            "cutoff_provisional_ptsd": "31",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    pcl5 = Instrument.objects.get(code="pcl5")
    assert (pcl5.rc_sd, pcl5.rc_reliability, pcl5.cutoffs) == (14.2, 0.94, {"provisional_ptsd": 31})
    event = AuditEvent.objects.get(action="measures.instrument.settings_changed")
    assert event.detail["fields"] == ["cutoffs", "rc_sd", "rc_source"]


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"rc_reliability": "1.2", "rc_source": "x"}, "between 0 and 1"),
        ({"rc_sd": "5", "rc_source": ""}, "Say where s1 and r come from"),
        ({"rc_sd": "0", "rc_source": "x"}, "greater than 0"),
        ({"cutoff_provisional_ptsd": "90", "rc_source": "x"}, "between 1 and 80"),
    ],
)
def test_bad_settings_are_shown_beside_the_field_and_nothing_saved(
    cast, builtin_instruments, data, field_message
):
    http = signed_in(cast.admin)
    payload = {"rc_reliability": "0.94", "cutoff_provisional_ptsd": "33", "is_active": "on"}
    payload.update(data)
    response = http.post("/instruments/pcl5/settings/", payload)
    assert response.status_code == 200
    assert field_message in response.content.decode()
    pcl5 = Instrument.objects.get(code="pcl5")
    assert (pcl5.rc_sd, pcl5.rc_reliability, pcl5.cutoffs) == (None, 0.94, {})
    assert not AuditEvent.objects.filter(action="measures.instrument.settings_changed").exists()
