"""Role × route × region: every route of the app, asked by every kind of caller.

Callers: anonymous, and keys of every role unscoped, scoped to community 001, to community
004 and to their subdistrict. tests/api/access_table.py says, per route, who may call it and
how to fill it with an object of community 001 or 004. A scoped key (admin included: a
``--region`` is honoured for every role) must be refused another region's object and must
find only rows of its region in any answer; a role not allowed gets 401/403; an allowed
caller inside its region gets 2xx. A route missing from the table fails, as does an entry
whose route is gone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.routing import Mount

from api.main import create_app
from gis.access import keys
from tests.api.access_table import (
    NORTH,
    ROLES,
    SOUTH,
    SUBDISTRICT,
    TABLE,
    Case,
    World,
    inside,
    load_code_index,
    load_world,
    regions_in_json,
    regions_in_text,
    regions_in_tile,
    regions_in_workbook,
)

REFUSED = frozenset({401, 403, 404})
NOBODY = "nobody"
"""The region anonymous callers see attributes of (none)."""


@dataclass(frozen=True)
class Who:
    """A caller: anonymous (role None) or a key of ``role`` limited to ``region``."""

    role: str | None = None
    region: str | None = None

    @property
    def label(self) -> str:
        if self.role is None:
            return "anonymous"
        return self.role + (f"@{self.region[-3:]}" if self.region else "")


CALLERS = [Who(), *(Who(role, region) for role in ROLES
                    for region in (None, NORTH, SOUTH, SUBDISTRICT))]
FEW = [Who(), Who("viewer", NORTH), Who("viewer", SOUTH), Who("planner", NORTH),
       Who("admin", SOUTH)]
"""Callers of the routes that take seconds per answer (whole-district QA, exports of 60,000
residents, the coverage map): a refusal, an allowed key inside and one outside."""


def app_routes() -> dict[tuple[str, str], str | None]:
    """(method, path template) of every route, HEAD aside; mounts map to one file in them."""
    found: dict[tuple[str, str], str | None] = {}
    for route in iter_route_contexts(create_app().routes):
        original = route.original_route
        if isinstance(original, Mount):
            directory = Path(original.app.directory)  # type: ignore[attr-defined]
            first = min(p for p in directory.rglob("*") if p.is_file())
            found[("GET", route.path)] = f"{route.path}/{first.relative_to(directory)}"
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found[(method, route.path)] = None
    return found


ROUTES = app_routes()


def test_table_names_every_route_and_only_routes() -> None:
    missing = sorted(set(ROUTES) - set(TABLE))
    gone = sorted(set(TABLE) - set(ROUTES))
    assert not missing, f"routes without an access-table entry: {missing}"
    assert not gone, f"access-table entries for routes that no longer exist: {gone}"


@pytest.fixture(autouse=True)
def fast_key_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys hashed with one SHA-256 instead of scrypt (the Django-test idiom of a fast
    password hasher): ~1,500 requests would spend ~80 s in scrypt; key checks stay real."""
    monkeypatch.setattr(keys, "_hash", lambda secret, salt: hashlib.sha256(
        bytes.fromhex(salt) + secret.encode()).hexdigest())


@pytest.fixture(scope="module")
def code_index(demo_engine: Engine) -> dict[str, str | None]:
    with Session(demo_engine) as session:
        return load_code_index(session)


@pytest.fixture
def tokens(demo_session: Session) -> dict[Who, str]:
    return {who: keys.create_key(demo_session, role=who.role, region_code=who.region)
            for who in CALLERS if who.role is not None}


def _asks(method: str, case: Case, who: Who) -> Iterator[str]:
    """Which samples ``who`` asks with: refused callers once; reads by scoped keys with both
    communities; writes by scoped keys with the other community's object only."""
    allowed = case.public or (who.role is not None and who.role in case.roles)
    if not allowed or who.region is None or not case.regional or not case.scoped_ok \
            or case.few:
        yield NORTH
    elif method == "GET":
        yield from (NORTH, SOUTH)
    elif who.region != SUBDISTRICT:
        yield SOUTH if who.region == NORTH else NORTH


def _positive_writer(case: Case) -> Who:
    """The one allowed caller whose write with an object of its own region must succeed."""
    role = next((r for r in ROLES if r in case.roles and r != "admin"), "admin")
    return Who(role, NORTH if case.scoped_ok else None)


def _ask(client: TestClient, session: Session, world: World, route: tuple[str, str],
         case: Case, community: str, token: str | None) -> httpx.Response | str:
    """One request, rolled back to a savepoint afterwards; an exception comes back as text."""
    method, template = route
    sample = world.samples[community]
    world.current_key = token or ""
    mount = ROUTES.get(route)
    url = mount or template.format(**case.path(world, sample))
    kwargs = {"params": case.query(world, sample),
              "headers": {"Authorization": f"Bearer {token}"} if token else {}}
    if case.json is not None:
        kwargs["json"] = case.json(world, sample)
    if case.form is not None:
        kwargs["data"] = case.form(world, sample)
    if case.files is not None:
        kwargs["files"] = case.files(world, sample)
    if case.content is not None:
        kwargs["content"] = case.content(world, sample)
        kwargs["headers"]["Content-Type"] = "application/geo+json"
    savepoint = session.begin_nested()
    try:
        return client.request(method, url, follow_redirects=False, **kwargs)
    except Exception as exc:  # a crash is reported like any other finding
        return f"raised {type(exc).__name__}: {str(exc)[:200]}"
    finally:
        if savepoint.is_active:
            savepoint.rollback()
        session.expire_all()  # objects the request changed are read again, as rolled back


def _regions(case: Case, answer: httpx.Response,
             index: dict[str, str | None]) -> list[str | None]:
    if answer.status_code == 204 or not answer.content or case.check == "none":
        return []
    if case.check == "tile":
        return list(regions_in_tile(answer.content, index))
    kind = answer.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        return list(regions_in_workbook(answer.content, index))
    if "json" in kind:
        return list(regions_in_json(answer.json(), index))
    return list(regions_in_text(answer.text, index))


def _verdict(case: Case, who: Who, community: str, answer: httpx.Response | str,
             index: dict[str, str | None]) -> str | None:
    """What is wrong with ``answer`` to ``who`` asking with ``community``'s object."""
    if isinstance(answer, str):
        return answer
    if not case.public and (who.role is None or who.role not in case.roles):
        return _refusal(who, answer)
    return _scoped_verdict(case, who, community, answer, index)


def _refusal(who: Who, answer: httpx.Response) -> str | None:
    """Anonymous must get 401 (a page: the login redirect), a role not allowed 403."""
    status = answer.status_code
    if who.role is None:
        to_login = status == 303 and "/map/login" in answer.headers.get("location", "")
        return None if status == 401 or to_login else f"anonymous got {status}, not 401"
    return None if status in (401, 403) else f"role not allowed got {status}, not 403"


def _scoped_verdict(case: Case, who: Who, community: str, answer: httpx.Response,
                    index: dict[str, str | None]) -> str | None:
    """An allowed caller: refused outside its region or answered with its rows only."""
    status = answer.status_code
    body = answer.text[:160].replace("\n", " ")
    region = who.region if who.role is not None else (
        NOBODY if case.regional and not case.open_read else None)
    scoped = region is not None and case.regional
    outside = scoped and not inside(community, region)
    refusals = case.refused | REFUSED
    if scoped and who.role is not None and not case.scoped_ok:
        return None if status in refusals else f"scoped key got {status}, not 403: {body}"
    if outside and (status in refusals or case.single):
        return None if status in refusals else \
            f"object of {community} answered {status}, not 403/404: {body}"
    if status not in case.ok:
        return f"got {status}, expected {sorted(case.ok)}: {body}"
    if not scoped:
        return None
    leaked = sorted({str(r) for r in _regions(case, answer, index) if not inside(r, region)})
    if leaked:
        return f"rows outside {region} in the answer: {', '.join(leaked[:6])}" + (
            f" (+{len(leaked) - 6} more)" if len(leaked) > 6 else "")
    return None


@pytest.mark.parametrize("route", sorted(TABLE), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_access(route: tuple[str, str], demo_client: TestClient, demo_session: Session,
                      tokens: dict[Who, str], code_index: dict[str, str | None]) -> None:
    world = load_world(demo_session)
    problems = []
    for case in TABLE[route]:
        callers = list(FEW if case.few else CALLERS)
        if route[0] != "GET":
            callers.append(_positive_writer(case))
        for i, who in enumerate(callers):
            positive = route[0] != "GET" and i == len(callers) - 1
            token = tokens.get(who)
            samples = [NORTH] if positive else list(_asks(route[0], case, who))
            for community in samples:
                answer = _ask(demo_client, demo_session, world, route, case, community,
                              token)
                problem = _verdict(case, who, community, answer, code_index)
                if problem:
                    problems.append(f"{case.name or '-'} | {who.label} | {community[-3:]} | "
                                    f"{problem}")
    assert not problems, "\n".join(problems)
