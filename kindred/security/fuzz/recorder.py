"""Which query parameters the views really read, recorded while requests run.

``QueryReadRecorder`` (a middleware the fuzz settings and tests add; never in production)
replaces ``request.GET`` with a QueryDict that notes every key a view looks up: ``get``,
``[]``, ``getlist``, ``in``. Filter serializers and forms bound to the query string read
each of their fields that way, so the record covers ``query_params.get("x")``, filter
serializers, pagination and helpers in other modules alike. Iterating over the whole
query string (``keys()``, ``items()``) is noted as ``*``: that view looks at everything
and must reject what it does not know.

Reads are kept per (URL pattern, method) in this process, and, when the environment
names ``KINDRED_FUZZ_READS_FILE``, appended to that file as JSON lines so the fuzz CLI can
collect what a live server recorded.
"""

from __future__ import annotations

import builtins
import json
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict

from kindred.security.fuzz.openapi import template_of

ALL_KEYS = "*"
READS_FILE_ENV = "KINDRED_FUZZ_READS_FILE"
_lock = threading.Lock()
_reads: dict[tuple[str, str], set[str]] = {}
_written: set[tuple[str, str, str]] = set()


class RecordingQueryDict(QueryDict):
    """A read-only QueryDict that remembers the keys looked up in it."""

    reads: set[str]

    def __init__(self, source: QueryDict) -> None:
        super().__init__(mutable=True)
        for key, values in source.lists():
            self.setlist(key, values)
        self._mutable = False
        self.reads = set()

    def __getitem__(self, key: str) -> Any:
        self.reads.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.reads.add(key)
        return super().get(key, default)

    def getlist(self, key: str, default: Any = None) -> list[Any]:
        self.reads.add(key)
        return super().getlist(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.reads.add(key)
        return super().__contains__(key)

    def keys(self) -> Any:
        self.reads.add(ALL_KEYS)
        return builtins.dict.keys(self)

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        self.reads.add(ALL_KEYS)
        for key, values in builtins.dict.items(self):
            yield key, (values[-1] if values else [])

    def lists(self) -> Iterator[tuple[str, list[Any]]]:
        self.reads.add(ALL_KEYS)
        return iter(builtins.dict.items(self))  # type: ignore[arg-type]

    def dict(self) -> builtins.dict[str, Any]:
        return builtins.dict(self.items())

    def __iter__(self) -> Iterator[str]:
        self.reads.add(ALL_KEYS)
        return builtins.dict.__iter__(self)

    def _plain(self) -> QueryDict:
        plain = QueryDict(mutable=True, encoding=self.encoding)
        for key, values in builtins.dict.items(self):
            plain.setlist(key, list(values))
        return plain

    def copy(self) -> QueryDict:  # type: ignore[override]
        self.reads.add(ALL_KEYS)
        return self._plain()

    def __copy__(self) -> QueryDict:  # type: ignore[override]
        return self.copy()

    def __deepcopy__(self, memo: builtins.dict[int, Any]) -> QueryDict:  # type: ignore[override]
        return self.copy()


def _note(template: str, method: str, keys: set[str]) -> None:
    path = os.environ.get(READS_FILE_ENV)
    with _lock:
        _reads.setdefault((template, method), set()).update(keys)
        if not path:
            return
        new = sorted(k for k in keys if (template, method, k) not in _written)
        if not new:
            return
        _written.update((template, method, k) for k in new)
        line = json.dumps({"path": template, "method": method, "reads": new})
        with open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")


class QueryReadRecorder:
    """Middleware: record the query keys each view reads (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        recording = RecordingQueryDict(request.GET)
        request.GET = recording  # type: ignore[assignment]
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = getattr(match, "route", None)
        if route:
            _note(template_of(route), (request.method or "GET").lower(), recording.reads)
        return response


MIDDLEWARE_PATH = f"{QueryReadRecorder.__module__}.{QueryReadRecorder.__qualname__}"


def recorded() -> dict[tuple[str, str], set[str]]:
    """What this process recorded so far: (URL template, method) -> keys read."""
    with _lock:
        return {k: set(v) for k, v in _reads.items()}


def clear() -> None:
    with _lock:
        _reads.clear()
        _written.clear()


def read_file(path: str) -> dict[tuple[str, str], set[str]]:
    """What a live server wrote to ``KINDRED_FUZZ_READS_FILE``."""
    found: dict[tuple[str, str], set[str]] = {}
    if not os.path.exists(path):
        return found
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                found.setdefault((row["path"], row["method"]), set()).update(row["reads"])
    return found
