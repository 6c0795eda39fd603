"""The API as the fuzzer sees it: the OpenAPI schema generated in-process (it is not
public: SERVE_PERMISSIONS), and the URL patterns the application really serves, with the
view class behind each and the token scope it declares.

Both sides are needed for the gate "a fuzzer cannot send what it does not know": every
URL pattern and method under the API prefixes must be in the schema (completeness.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

#: The prefixes whose every URL pattern must be in the OpenAPI schema.
API_PREFIXES = ("/api/v1/", "/fhir/r4/")
HTTP_METHODS = ("get", "post", "put", "patch", "delete")

_CONVERTER = re.compile(r"<(?:[^>:]+:)?([^>]+)>")


def generate_schema(urlconf: str | None = None) -> dict[str, Any]:
    """The OpenAPI document drf-spectacular serves at /api/schema/, generated here
    without a request (as ``manage.py spectacular`` does). ``urlconf`` generates it for
    another URL configuration (the tests' deliberately incomplete one)."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(urlconf=urlconf)  # type: ignore[no-untyped-call]
    schema: dict[str, Any] = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    GENERATOR_STATS.reset()
    return schema


def template_of(route: str) -> str:
    """``api/v1/clients/<int:client_id>/`` -> ``/api/v1/clients/{client_id}/``."""
    return "/" + _CONVERTER.sub(r"{\1}", route)


@dataclass(frozen=True)
class Endpoint:
    """One URL pattern the application serves."""

    template: str
    name: str
    view: type | None
    methods: frozenset[str]  # lower-case HTTP methods the view handles (no head/options)

    def required_scope(self, method: str) -> str | None:
        """The token scope the view declares for ``method`` (HasTokenScope), if any."""
        scopes: dict[str, str] = getattr(self.view, "required_scopes", {}) or {}
        needed = scopes.get("read" if method.lower() == "get" else "write")
        return str(needed) if needed is not None else None

    def permission_names(self) -> frozenset[str]:
        classes: Sequence[Any] = getattr(self.view, "permission_classes", ()) or ()
        return frozenset(getattr(c, "__name__", str(c)) for c in classes)


def _view_class(callback: Any) -> type | None:
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    return cls if isinstance(cls, type) else None


def _methods(view: type | None) -> frozenset[str]:
    if view is None:
        return frozenset()
    names = getattr(view, "http_method_names", HTTP_METHODS)
    return frozenset(m for m in names if m in HTTP_METHODS and callable(getattr(view, m, None)))


def _walk(patterns: Sequence[Any], prefix: str, names: str) -> Iterator[Endpoint]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{names}{entry.namespace}:" if entry.namespace else names
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            if not isinstance(entry.pattern, RoutePattern):
                route = route.lstrip("^").rstrip("$").replace("\\", "")
            view = _view_class(entry.callback)
            yield Endpoint(
                template=template_of(route),
                name=f"{names}{entry.name or ''}",
                view=view,
                methods=_methods(view),
            )


def served_endpoints(
    urlconf: str | None = None, prefixes: Sequence[str] = API_PREFIXES
) -> list[Endpoint]:
    """Every URL pattern under ``prefixes`` in ``urlconf`` (default: ROOT_URLCONF)."""
    resolver = get_resolver(urlconf)
    return [
        e for e in _walk(resolver.url_patterns, "", "") if e.template.startswith(tuple(prefixes))
    ]


@dataclass(frozen=True)
class Operation:
    """One operation of the schema, with the endpoint that serves it."""

    path: str
    method: str  # lower case
    spec: dict[str, Any]
    endpoint: Endpoint | None

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def query_parameters(self) -> set[str]:
        return {p["name"] for p in self.spec.get("parameters", []) if p.get("in") == "query"}

    def path_parameters(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p.get("in") == "path"]


def operations(schema: dict[str, Any], endpoints: Sequence[Endpoint]) -> list[Operation]:
    by_template = {e.template: e for e in endpoints}
    found: list[Operation] = []
    for path, item in schema.get("paths", {}).items():
        for method in HTTP_METHODS:
            spec = item.get(method)
            if isinstance(spec, dict):
                found.append(Operation(path, method, spec, by_template.get(path)))
    return found
