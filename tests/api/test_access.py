"""Access policy lives in dependencies (api/access.py), never in handler bodies: checked on
the routes themselves, so a new route that checks a role by hand, or takes a plan or event
without the dependency that loads and confines it, fails here."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api import access
from api.routes import ROUTERS

ROUTES_DIR = Path(access.__file__).parent / "routes"


def _routes() -> list[APIRoute]:
    return [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


def _calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def test_no_route_module_checks_a_role_by_hand() -> None:
    found = [f"{p.name}:{n}" for p in sorted(ROUTES_DIR.glob("*.py"))
             for n, line in enumerate(p.read_text().splitlines(), 1) if ".require(" in line]
    assert found == []
    for route in _routes():
        body = inspect.getsource(route.endpoint)
        assert "check_role(" not in body and ".require(" not in body, route.path


def test_every_plan_and_event_route_loads_its_object_through_the_dependency() -> None:
    checked = 0
    for route in _routes():
        calls = set(_calls(route.dependant))
        if "{plan_id}" in route.path:
            assert access.current_plan in calls, route.path
            checked += 1
        if route.path.startswith("/api/v1/events/{code}"):
            assert access.current_event in calls, route.path
            checked += 1
        if route.path == "/map/dispatch":
            assert access.page_event_if_any in calls, route.path  # none: the console
            checked += 1
    # plan: read, edits, undo, workers, worker candidates, apply, reject, report (JSON, xlsx,
    # page), map; event: read, 5 acts, actions, duplicate-of, photos (upload, list, one);
    # the dispatch page
    assert checked == 10 + 8 + 3 + 1 + 1
