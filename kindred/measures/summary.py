"""The outcome summary (``models.OutcomeSummary``): per member and instrument, the first
and latest complete totals, how many there are, and the change between them, so the
group dashboard reads one row per member per instrument instead of every administration
(docs/performance.md).

Which administrations count is the same rule as everywhere in outcomes.py: completed,
complete, with a total and a completion time; first and latest by (completed at, id).

- ``summary_record`` keeps a member's row current. ``answering.administration_submit``
  calls it in the completion's own transaction (completion is the only write that adds
  or changes a counted administration: totals are immutable afterwards).
- ``classify`` (re)computes the change columns for one or more instruments, set-based:
  one distinct (first, latest) pair is classified once in Python (measures/rc.py) and
  written to every row that has it. The instrument library calls it when an
  instrument's definition or s1 and r change.
- ``rebuild`` recomputes everything from the administrations, set-based, a range of
  clients at a time (``manage.py rebuild_outcome_summary``, the migration that created
  the table, and scale seeding).
- ``verify`` compares the table with the old per-administration computation
  (``completed_rows`` + ``build_trajectory``) and returns the differences.

Everything here reads and writes by table name with plain SQL where it is set-based, so
the migration can run it against the schema of its time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction
from django.utils import timezone

from kindred.measures.definitions import Definition, DefinitionError, Number
from kindred.measures.rc import is_case, summarize_change

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from kindred.measures.models import Administration, Instrument, OutcomeSummary

SUMMARY_TABLE = "measures_outcomesummary"
ADMINISTRATION_TABLE = "measures_administration"
INSTRUMENT_TABLE = "measures_instrument"
#: Clients per statement when rebuilding (each range is one DELETE and one INSERT).
REBUILD_CLIENTS_PER_CHUNK = 2000
#: Rows per ``VALUES`` list when writing the change columns.
VALUES_PER_STATEMENT = 400
COMPLETED = "completed"


def basis_of(sha256: str, sd: float | None, reliability: float | None) -> str:
    """What a row's change was classified with: the definition's fingerprint and the
    practice's s1 and r."""
    return f"{sha256[:32]}|{sd!r}|{reliability!r}"


def instrument_basis(instrument: Instrument) -> str:
    return basis_of(instrument.definition_sha256, instrument.rc_sd, instrument.rc_reliability)


@dataclass(frozen=True)
class ChangeStatus:
    """The change columns of one row."""

    outcome: str
    rci: float | None
    rci_direction: str
    case_at_first: bool | None
    case_at_latest: bool | None


def change_status(
    definition: Definition,
    first: Number,
    latest: Number,
    measured: int,
    *,
    sd: float | None,
    reliability: float | None,
) -> ChangeStatus:
    """The change between the first and the latest total, as ``outcomes.build_trajectory``
    classifies it (nothing to classify with a single total)."""
    criteria = definition.change_criteria
    hib = definition.higher_is_better
    caseness = criteria.caseness if criteria is not None else None
    case_first = is_case(first, caseness, higher_is_better=hib) if caseness is not None else None
    case_latest = is_case(latest, caseness, higher_is_better=hib) if caseness is not None else None
    if measured < 2:
        return ChangeStatus("", None, "", case_first, case_latest)
    change = summarize_change(definition, first, latest, sd=sd, reliability=reliability)
    return ChangeStatus(
        outcome=change.outcome.value if change.outcome is not None else "",
        rci=change.rci.rci if change.rci is not None else None,
        rci_direction=change.rci.direction.value if change.rci is not None else "",
        case_at_first=case_first,
        case_at_latest=case_latest,
    )


def row_status(row: OutcomeSummary, instrument: Instrument, definition: Definition) -> ChangeStatus:
    """A row's change: as stored when it was classified with the instrument's current
    definition and s1/r, else reclassified from its totals (never a stale status)."""
    if row.basis == instrument_basis(instrument):
        return ChangeStatus(
            row.outcome, row.rci, row.rci_direction, row.case_at_first, row.case_at_latest
        )
    return change_status(
        definition,
        row.first_total,
        row.latest_total,
        row.measured,
        sd=instrument.rc_sd,
        reliability=instrument.rc_reliability,
    )


# --- keeping one member's row current ---------------------------------------------------


def counts(administration: Administration) -> bool:
    """Whether an administration counts towards outcomes (outcomes.completed_rows)."""
    return (
        administration.status == COMPLETED
        and administration.is_complete
        and administration.total is not None
        and administration.completed_at is not None
    )


def summary_record(administration: Administration) -> None:
    """Bring the member's row for this administration's instrument up to date. Call in
    the transaction that completed it: the row is locked (created first if need be), so
    two completions for the same member and instrument are applied one after the other,
    the second seeing the first. Four queries."""
    from kindred.measures.models import OutcomeSummary

    if not counts(administration):
        return
    assert administration.total is not None  # noqa: S101 - counts() checked both
    assert administration.completed_at is not None  # noqa: S101
    instrument = administration.instrument
    with transaction.atomic():
        key = {"client_id": administration.client_id, "instrument_id": instrument.pk}
        OutcomeSummary.objects.bulk_create(
            [
                OutcomeSummary(
                    **key,
                    measured=1,
                    first_administration_id=administration.pk,
                    first_completed_at=administration.completed_at,
                    first_total=administration.total,
                    first_band=administration.band,
                    latest_administration_id=administration.pk,
                    latest_completed_at=administration.completed_at,
                    latest_total=administration.total,
                    latest_band=administration.band,
                    updated_at=timezone.now(),
                )
            ],
            ignore_conflicts=True,
        )
        row = OutcomeSummary.objects.select_for_update().get(**key)
        _refresh_row(row, instrument)


def _refresh_row(row: OutcomeSummary, instrument: Instrument) -> None:
    from kindred.measures.library import definition_of
    from kindred.measures.outcomes import completed_rows

    found = completed_rows([row.client_id], instrument_ids=[row.instrument_id]).get(
        (row.client_id, row.instrument_id), []
    )
    if not found:  # cannot happen for a counted administration; keep nothing stale
        row.delete()
        return
    first, latest = found[0], found[-1]
    row.measured = len(found)
    row.first_administration_id, row.first_completed_at = first[0], first[1]
    row.first_total, row.first_band = int(first[2]), first[3]
    row.latest_administration_id, row.latest_completed_at = latest[0], latest[1]
    row.latest_total, row.latest_band = int(latest[2]), latest[3]
    try:
        status = change_status(
            definition_of(instrument),
            row.first_total,
            row.latest_total,
            row.measured,
            sd=instrument.rc_sd,
            reliability=instrument.rc_reliability,
        )
        basis = instrument_basis(instrument)
    except DefinitionError:
        # The instrument's current definition does not parse (the answers were scored
        # with their own version's): keep the totals, leave the change unclassified
        # and the basis empty, so nothing reads it as current.
        status, basis = ChangeStatus("", None, "", None, None), ""
    row.outcome, row.rci, row.rci_direction = status.outcome, status.rci, status.rci_direction
    row.case_at_first, row.case_at_latest = status.case_at_first, status.case_at_latest
    row.basis = basis
    row.updated_at = timezone.now()
    row.save()


# --- set-based: classify and rebuild ----------------------------------------------------


@dataclass(frozen=True)
class _InstrumentFacts:
    pk: int
    definition: Definition
    basis: str
    sd: float | None
    reliability: float | None


def _instruments(
    connection: BaseDatabaseWrapper, instrument_ids: Iterable[int] | None
) -> list[_InstrumentFacts]:
    from kindred.measures.library import parsed

    sql = (
        f"SELECT id, definition, definition_sha256, rc_sd, rc_reliability "  # noqa: S608
        f"FROM {INSTRUMENT_TABLE}"
    )
    params: list[Any] = []
    if instrument_ids is not None:
        ids = sorted(set(instrument_ids))
        if not ids:
            return []
        sql += f" WHERE id IN ({', '.join(['%s'] * len(ids))})"
        params = list(ids)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY id", params)
        rows = cursor.fetchall()
    found = []
    for pk, document, sha, sd, reliability in rows:
        data: Mapping[str, Any] = json.loads(document) if isinstance(document, str) else document
        try:
            definition = parsed(data, sha)
        except DefinitionError:
            continue  # nothing to classify with: its rows keep an empty basis
        found.append(
            _InstrumentFacts(
                pk=pk,
                definition=definition,
                basis=basis_of(sha, sd, reliability),
                sd=sd,
                reliability=reliability,
            )
        )
    return found


def classify(
    *, instrument_ids: Iterable[int] | None = None, only_stale: bool = True, using: str = "default"
) -> int:
    """Write the change columns of every row of these instruments (all when None) whose
    basis is not the instrument's current one (every row with ``only_stale=False``).
    Each distinct (first, latest, one-or-more) combination is classified once and
    written with one ``UPDATE … FROM (VALUES …)`` per few hundred. Returns how many
    combinations were classified."""
    connection = connections[using]
    classified = 0
    for facts in _instruments(connection, instrument_ids):
        where = "instrument_id = %s"
        params: list[Any] = [facts.pk]
        if only_stale:
            where += " AND basis <> %s"
            params.append(facts.basis)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT first_total, latest_total, "  # noqa: S608
                "CASE WHEN measured >= 2 THEN 2 ELSE 1 END "
                f"FROM {SUMMARY_TABLE} WHERE {where}",
                params,
            )
            combos = cursor.fetchall()
        values = []
        for first, latest, measured in combos:
            status = change_status(
                facts.definition,
                first,
                latest,
                measured,
                sd=facts.sd,
                reliability=facts.reliability,
            )
            values.append((first, latest, measured == 2, status))
        for chunk in _chunks(values, VALUES_PER_STATEMENT):
            _write_statuses(connection, facts, chunk, only_stale=only_stale)
        classified += len(values)
    return classified


def _write_statuses(
    connection: BaseDatabaseWrapper,
    facts: _InstrumentFacts,
    chunk: Sequence[tuple[int, int, bool, ChangeStatus]],
    *,
    only_stale: bool,
) -> None:
    row = (
        "(CAST(%s AS INTEGER), CAST(%s AS INTEGER), CAST(%s AS BOOLEAN), %s, "
        "CAST(%s AS DOUBLE PRECISION), %s, CAST(%s AS BOOLEAN), CAST(%s AS BOOLEAN))"
    )
    params: list[Any] = []
    for first, latest, many, s in chunk:
        params += [
            first,
            latest,
            many,
            s.outcome,
            s.rci,
            s.rci_direction,
            s.case_at_first,
            s.case_at_latest,
        ]
    stale = f" AND {SUMMARY_TABLE}.basis <> %s" if only_stale else ""
    tail: list[Any] = [facts.basis, facts.pk] + ([facts.basis] if only_stale else [])
    # A CTE with named columns reads the same on PostgreSQL and SQLite. The table name
    # is a constant and every value a parameter.
    head = (
        "WITH v (first_total, latest_total, many, outcome, rci, rci_direction, "
        "case_at_first, case_at_latest) AS (VALUES "
    )
    body = (
        f") UPDATE {SUMMARY_TABLE} SET outcome = v.outcome, rci = v.rci, "  # noqa: S608
        "rci_direction = v.rci_direction, case_at_first = v.case_at_first, "
        "case_at_latest = v.case_at_latest, basis = %s FROM v "
        f"WHERE {SUMMARY_TABLE}.instrument_id = %s "
        f"AND {SUMMARY_TABLE}.first_total = v.first_total "
        f"AND {SUMMARY_TABLE}.latest_total = v.latest_total "
        f"AND ({SUMMARY_TABLE}.measured >= 2) = v.many"
    )
    sql = head + ", ".join([row] * len(chunk)) + body + stale
    with connection.cursor() as cursor:
        cursor.execute(sql, params + tail)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: First and latest counted administration per (client, instrument) of a client range,
#: with how many there are: two window numberings over the ``measures_admin_trend``
#: index's columns, joined on their first rows.
_INSERT = f"""
INSERT INTO {SUMMARY_TABLE} (
    client_id, instrument_id, measured,
    first_administration_id, first_completed_at, first_total, first_band,
    latest_administration_id, latest_completed_at, latest_total, latest_band,
    outcome, rci, rci_direction, case_at_first, case_at_latest, basis, updated_at
)
WITH done AS (
    SELECT id, client_id, instrument_id, completed_at, total, band,
        ROW_NUMBER() OVER (
            PARTITION BY client_id, instrument_id ORDER BY completed_at, id
        ) AS from_first,
        ROW_NUMBER() OVER (
            PARTITION BY client_id, instrument_id ORDER BY completed_at DESC, id DESC
        ) AS from_latest,
        COUNT(*) OVER (PARTITION BY client_id, instrument_id) AS measured
    FROM {ADMINISTRATION_TABLE}
    WHERE status = %s AND is_complete = %s AND total IS NOT NULL
        AND completed_at IS NOT NULL AND client_id >= %s AND client_id < %s
)
SELECT f.client_id, f.instrument_id, f.measured,
    f.id, f.completed_at, f.total, f.band,
    l.id, l.completed_at, l.total, l.band,
    '', NULL, '', NULL, NULL, '', %s
FROM done f JOIN done l
    ON l.client_id = f.client_id AND l.instrument_id = f.instrument_id AND l.from_latest = 1
WHERE f.from_first = 1
"""  # noqa: S608 - table names are constants; every value is a parameter


def client_span(*, using: str = "default") -> tuple[int, int] | None:
    """The lowest and highest client id with any administration (None: none)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(client_id), MAX(client_id) FROM {ADMINISTRATION_TABLE}"  # noqa: S608
        )
        found = cursor.fetchone()
    if found is None or found[0] is None or found[1] is None:
        return None
    return int(found[0]), int(found[1])


def rebuild(
    *,
    using: str = "default",
    chunk_clients: int = REBUILD_CLIENTS_PER_CHUNK,
    progress: Callable[[int], object] = lambda n: None,
    now: datetime | None = None,
) -> int:
    """Recompute the whole table from the administrations: for each range of client
    ids, delete its rows and insert them again in one statement (its own transaction);
    then classify the change of every new row (``classify``). ``progress`` is told how
    many client ids each range covered. Returns the rows written.

    Between the two steps a new row's change columns are blank and its ``basis`` empty,
    so a reader reclassifies it from its totals (``row_status``): nobody sees a wrong
    status, only a slightly slower page."""
    connection = connections[using]
    stamp = connection.ops.adapt_datetimefield_value(now or timezone.now())
    span = client_span(using=using)
    if span is None:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {SUMMARY_TABLE}")  # noqa: S608
        return 0
    low, high = span
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {SUMMARY_TABLE} WHERE client_id < %s OR client_id > %s",  # noqa: S608
            [low, high],
        )
    written = 0
    start = low
    while start <= high:
        stop = start + max(1, chunk_clients)
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {SUMMARY_TABLE} WHERE client_id >= %s AND client_id < %s",  # noqa: S608
                [start, stop],
            )
            cursor.execute(_INSERT, [COMPLETED, True, start, stop, stamp])
            written += max(0, cursor.rowcount)
        progress(min(stop, high + 1) - start)
        start = stop
    with transaction.atomic(using=using):
        classify(only_stale=True, using=using)
    return written


# --- checking the table against the old computation -------------------------------------


@dataclass(frozen=True)
class Expected:
    """What the old per-administration computation says for one member and instrument."""

    measured: int
    first: tuple[int, datetime, int, str]
    latest: tuple[int, datetime, int, str]
    status: ChangeStatus


def expected_rows(client_ids: Iterable[int] | None = None) -> dict[tuple[int, int], Expected]:
    """The reference: every counted administration read (``completed_rows``) and the
    change classified by ``build_trajectory``, as the dashboard did before the table."""
    from kindred.measures.models import Administration, Instrument
    from kindred.measures.outcome_settings import outcome_settings
    from kindred.measures.outcomes import build_trajectory, completed_rows

    if client_ids is None:
        client_ids = (
            Administration.objects.filter(status=COMPLETED, is_complete=True)
            .values_list("client_id", flat=True)
            .distinct()
        )
    rows = completed_rows(list(client_ids))
    instruments = {i.pk: i for i in Instrument.objects.filter(pk__in={i for _c, i in rows})}
    rules = outcome_settings()
    found: dict[tuple[int, int], Expected] = {}
    for (client_id, instrument_id), points in rows.items():
        t = build_trajectory(instruments[instrument_id], points, attended=[], rules=rules)
        change = t.change
        criteria = t.definition.change_criteria
        caseness = criteria.caseness if criteria is not None else None
        hib = t.definition.higher_is_better
        found[(client_id, instrument_id)] = Expected(
            measured=len(t.points),
            first=(
                t.first.administration_id,
                t.first.completed_at,
                int(t.first.total),
                t.first.band,
            ),
            latest=(
                t.latest.administration_id,
                t.latest.completed_at,
                int(t.latest.total),
                t.latest.band,
            ),
            status=ChangeStatus(
                outcome=t.outcome.value if t.outcome is not None else "",
                rci=change.rci.rci if change is not None and change.rci is not None else None,
                rci_direction=(
                    change.rci.direction.value
                    if change is not None and change.rci is not None
                    else ""
                ),
                case_at_first=(
                    is_case(t.first.total, caseness, higher_is_better=hib)
                    if caseness is not None
                    else None
                ),
                case_at_latest=(
                    is_case(t.latest.total, caseness, higher_is_better=hib)
                    if caseness is not None
                    else None
                ),
            ),
        )
    return found


def verify(client_ids: Iterable[int] | None = None) -> list[str]:
    """Differences between the table and the reference computation (empty when they
    agree), one line each."""
    from kindred.measures.library import definition_of
    from kindred.measures.models import Instrument, OutcomeSummary

    ids = None if client_ids is None else list(client_ids)
    expected = expected_rows(ids)
    table = OutcomeSummary.objects.all()
    if ids is not None:
        table = table.filter(client_id__in=ids)
    instruments = {i.pk: i for i in Instrument.objects.all()}
    problems: list[str] = []
    seen: set[tuple[int, int]] = set()
    for row in table:
        key = (row.client_id, row.instrument_id)
        seen.add(key)
        want = expected.get(key)
        if want is None:
            problems.append(f"{key}: a row without counted administrations")
            continue
        instrument = instruments[row.instrument_id]
        got = (
            row.measured,
            (row.first_administration_id, row.first_completed_at, row.first_total, row.first_band),
            (
                row.latest_administration_id,
                row.latest_completed_at,
                row.latest_total,
                row.latest_band,
            ),
            row_status(row, instrument, definition_of(instrument)),
        )
        if got != (want.measured, want.first, want.latest, want.status):
            problems.append(f"{key}: table {got} != computed {want}")
    problems.extend(f"{key}: missing from the table" for key in sorted(set(expected) - seen))
    return problems
