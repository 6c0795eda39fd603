"""The client-side ledger of writes and its reconciliation against the database.

Every writer thread records, for each write it means to make, a unique payload (the
text it posts), the Idempotency-Key it sends (or none, in the broken variant) and every
answer it got: a status code, or a connection error. A write is *acknowledged* once
the server answered 2xx for it. After the fault, ``reconcile`` compares the ledger with
the payloads the database holds:

- **lost**: acknowledged, but not in the database (must be 0);
- **duplicates**: stored more than once (extra copies, must be 0);
- **unacknowledged_stored**: never acknowledged, yet stored once (allowed: the answer
  was lost, the write was not; a retry with the same key then returns the stored
  answer, so normally none remain);
- **unexpected**: stored payloads the ledger never sent (must be 0).

Pure Python, no Django: the pytest suite runs it on made-up ledgers too.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# What a write's attempt ended with, besides an HTTP status code.
CONNECTION_ERROR = "connection_error"


@dataclass
class Write:
    payload: str
    key: str | None
    outcomes: list[int | str] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return any(isinstance(o, int) and 200 <= o < 300 for o in self.outcomes)

    @property
    def attempts(self) -> int:
        return len(self.outcomes)


class Ledger:
    """Thread-safe record of writes and their answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._writes: dict[str, Write] = {}

    def begin(self, payload: str, key: str | None) -> Write:
        with self._lock:
            if payload in self._writes:
                raise ValueError(f"payload used twice: {payload}")
            write = Write(payload=payload, key=key)
            self._writes[payload] = write
            return write

    def answer(self, write: Write, outcome: int | str) -> None:
        with self._lock:
            write.outcomes.append(outcome)

    @property
    def writes(self) -> list[Write]:
        with self._lock:
            return list(self._writes.values())


@dataclass
class Reconciliation:
    writes_attempted: int
    requests: int
    acknowledged: int
    lost: int
    duplicates: int
    unacknowledged_stored: int
    unacknowledged_missing: int
    unexpected: int
    answered_503: int
    server_errors: int
    connection_errors: int
    other_statuses: dict[str, int]
    lost_payloads: list[str]
    duplicated_payloads: list[str]

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates == 0 and self.unexpected == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "writes_attempted": self.writes_attempted,
            "requests": self.requests,
            "acknowledged": self.acknowledged,
            "lost": self.lost,
            "duplicates": self.duplicates,
            "unacknowledged_stored": self.unacknowledged_stored,
            "unacknowledged_missing": self.unacknowledged_missing,
            "unexpected": self.unexpected,
            "answered_503": self.answered_503,
            "server_errors": self.server_errors,
            "connection_errors": self.connection_errors,
            "other_statuses": self.other_statuses,
            "lost_examples": self.lost_payloads[:5],
            "duplicated_examples": self.duplicated_payloads[:5],
        }


def reconcile(writes: Iterable[Write], stored: Iterable[str]) -> Reconciliation:
    """Compare the ledger with the payloads found in the database (one entry per row)."""
    writes = list(writes)
    counts = Counter(stored)
    sent = {w.payload for w in writes}
    outcomes = Counter(o for w in writes for o in w.outcomes)
    acknowledged = [w for w in writes if w.acknowledged]
    unacknowledged = [w for w in writes if not w.acknowledged]
    lost = sorted(w.payload for w in acknowledged if counts[w.payload] == 0)
    duplicated = sorted(p for p, n in counts.items() if n > 1 and p in sent)
    other = {
        str(code): n
        for code, n in sorted(outcomes.items(), key=lambda item: str(item[0]))
        if isinstance(code, int) and not (200 <= code < 300) and code != 503 and code < 500
    }
    return Reconciliation(
        writes_attempted=len(writes),
        requests=sum(outcomes.values()),
        acknowledged=len(acknowledged),
        lost=len(lost),
        duplicates=sum(counts[p] - 1 for p in duplicated),
        unacknowledged_stored=sum(1 for w in unacknowledged if counts[w.payload] > 0),
        unacknowledged_missing=sum(1 for w in unacknowledged if counts[w.payload] == 0),
        unexpected=sum(n for p, n in counts.items() if p not in sent),
        answered_503=outcomes[503],
        server_errors=sum(
            n
            for code, n in outcomes.items()
            if isinstance(code, int) and code >= 500 and code != 503
        ),
        connection_errors=outcomes[CONNECTION_ERROR],
        other_statuses=other,
        lost_payloads=lost,
        duplicated_payloads=duplicated,
    )
