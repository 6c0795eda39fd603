"""The instrument library: every instrument with its source, licence and whether it is a
validated instrument; one instrument's items, scoring, bands, flags and reliable-change
parameters; for practice admins, loading an instrument the practice holds a licence for
and changing an instrument's settings (s1, r and their source, cut-offs, in use).

Staff only (members see questionnaires, not the library: 404). Reading needs any staff
role; changing needs ``Capability.MANAGE_PRACTICE`` (others get 403, as on the practice
pages). Rules live in measures/library.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_safe

from kindred.core.errors import KindredError, NotFound, NotPermitted, ValidationFailed
from kindred.measures import library
from kindred.measures.definitions import Definition
from kindred.measures.models import Instrument, InstrumentVersion
from kindred.measures.rc import RC_THRESHOLD, s_diff
from kindred.web.forms import apply_error
from kindred.web.measures.forms import InstrumentLoadForm, InstrumentSettingsForm
from kindred.web.measures.uploads import LimitedMemoryUploadHandler
from kindred.web.paging import paginate

if TYPE_CHECKING:
    from kindred.accounts.models import User

SECTION = "instruments"


def _reader(request: HttpRequest) -> User:
    actor: User = request.user  # type: ignore[assignment]
    if not library.can_read_instruments(actor):
        raise NotFound(_("Not found."))
    return actor


def _manager(request: HttpRequest) -> User:
    actor = _reader(request)
    if not library.can_manage_instruments(actor):
        raise PermissionDenied(_("Only practice admins can change instruments."))
    return actor


@login_required
@require_safe
def instrument_list(request: HttpRequest) -> HttpResponse:
    actor = _reader(request)
    return render(
        request,
        "web/measures/instrument_list.html",
        {
            **paginate(request, library.instrument_list(actor=actor)),
            "can_manage": library.can_manage_instruments(actor),
            "section": SECTION,
        },
    )


def _rc_view(instrument: Instrument) -> dict[str, Any] | None:
    """The reliable-change numbers shown beside s1 and r (Jacobson & Truax 1991)."""
    if instrument.rc_sd is None or instrument.rc_reliability is None:
        return None
    sdiff = s_diff(instrument.rc_sd, instrument.rc_reliability)
    return {
        "s_diff": round(sdiff, 2),
        "critical_difference": round(RC_THRESHOLD * sdiff, 2),
    }


def _scoring_summary(definition: Definition) -> str:
    low, high = definition.score_range
    parts = [
        _("Sum of the scored items")
        if definition.scoring.method == "sum"
        else _("Mean of the scored items"),
    ]
    if definition.scoring.reverse:
        parts.append(
            _("reverse-scored: %(items)s")
            % {"items": ", ".join(sorted(definition.scoring.reverse))}
        )
    if definition.scoring.multiplier != 1:
        parts.append(_("multiplied by %(m)s") % {"m": definition.scoring.multiplier})
    parts.append(_("total %(low)s–%(high)s") % {"low": low, "high": high})
    return "; ".join(str(p) for p in parts) + "."


def _flag_rule(definition: Definition, instrument: Instrument) -> list[dict[str, Any]]:
    cutoffs = definition.cutoff_values(instrument.cutoffs)
    rows = []
    for flag in definition.flags:
        target = {
            "item": flag.item or "",
            "total": _("total"),
            "raw_total": _("raw total"),
            "subscale": flag.subscale or "",
        }[flag.on]
        threshold = cutoffs[flag.cutoff] if flag.cutoff else flag.value
        rows.append({"flag": flag, "rule": f"{target} {flag.op} {threshold}"})
    return rows


@login_required
@require_safe
@never_cache
def instrument_detail(request: HttpRequest, code: str) -> HttpResponse:
    actor = _reader(request)
    instrument = library.get_instrument_for(actor, code)
    definition = library.definition_of(instrument)
    cutoff_values = definition.cutoff_values(instrument.cutoffs)
    versions = InstrumentVersion.objects.filter(instrument=instrument).only(
        "version", "created_at", "definition_sha256"
    )
    return render(
        request,
        "web/measures/instrument_detail.html",
        {
            "instrument": instrument,
            "definition": definition,
            "scoring_summary": _scoring_summary(definition),
            "score_range": definition.score_range,
            "cutoffs": [(c, cutoff_values[c.key]) for c in definition.cutoffs],
            "flags": _flag_rule(definition, instrument),
            "rc": _rc_view(instrument),
            "versions": versions,
            "can_manage": library.can_manage_instruments(actor),
            "section": SECTION,
        },
    )


@csrf_exempt  # the upload handler must be in place before the CSRF check reads the body
def instrument_load(request: HttpRequest) -> HttpResponse:
    handler = LimitedMemoryUploadHandler(library.MAX_DEFINITION_BYTES, request)
    request.upload_handlers = [handler]
    return _instrument_load(request, handler)


@login_required
@csrf_protect
def _instrument_load(request: HttpRequest, handler: LimitedMemoryUploadHandler) -> HttpResponse:
    actor = _manager(request)
    form = InstrumentLoadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if handler.too_large:
            form.add_error(
                "file",
                _("The file is too large (at most %(kb)d KB).")
                % {"kb": library.MAX_DEFINITION_BYTES // 1024},
            )
        elif form.is_valid():
            content = form.cleaned_data["file"].read()
            try:
                instrument = library.instrument_load(
                    actor=actor,
                    content=content,
                    licence_confirmed=form.cleaned_data["licence_confirmed"],
                )
            except NotPermitted:
                raise
            except KindredError as exc:
                apply_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s version %(version)s is loaded.")
                    % {"name": instrument.name, "version": instrument.version},
                )
                return redirect("web:instrument_detail", instrument.code)
    return render(request, "web/measures/instrument_load.html", {"form": form, "section": SECTION})


@login_required
def instrument_settings(request: HttpRequest, code: str) -> HttpResponse:
    actor = _manager(request)
    instrument = library.get_instrument_for(actor, code)
    definition = library.definition_of(instrument)
    initial = {
        "rc_sd": instrument.rc_sd,
        "rc_reliability": instrument.rc_reliability,
        "rc_source": instrument.rc_source,
        "is_active": instrument.is_active,
    }
    form = InstrumentSettingsForm(
        request.POST or None, initial=initial, definition=definition, instrument=instrument
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            library.instrument_update_settings(
                actor=actor,
                instrument=instrument,
                rc_sd=data["rc_sd"],
                rc_reliability=data["rc_reliability"],
                rc_source=data["rc_source"],
                cutoffs=form.cutoffs(),
                is_active=data["is_active"],
            )
        except ValidationFailed as exc:
            apply_error(form, exc)
        else:
            messages.success(
                request, _("The settings for %(name)s are saved.") % {"name": instrument.short_name}
            )
            return redirect("web:instrument_detail", instrument.code)
    return render(
        request,
        "web/measures/instrument_settings.html",
        {"form": form, "instrument": instrument, "definition": definition, "section": SECTION},
    )
