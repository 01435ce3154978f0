"""Cached tiles answered before routing (a pure ASGI middleware).

A warm tile costs no database round trip (gis.tiles.versions), so what is left is the
framework: routing through every route and solving the route's dependencies cost more than
building the answer. ``GET /tiles/{layer}/{z}/{x}/{y}.pbf`` (parameters ``theme`` and ``key``
only) without the login cookie is answered here when this process knows the tile's versions and
holds the tile (or the client's If-None-Match names it: 304), with the very answer the route
gives (api.routes.tiles.tile_answer). An anonymous caller costs nothing more; a key (Bearer,
``?key=`` or HTTP Basic) is checked before anything is answered, as the route checks it
(api.deps.check_tile_caller: a key held as valid in this process until a change to a key is
announced, gis.access.keycheck; else one statement), and the outcome is left to the route when
the tile is not held here or the check failed, so a key is checked, and a wrong one counted,
once (a public layer's tile, the same for everyone, is looked for first: not held, the key is
left to the route). Everything else, and every doubt (another parameter, a header too long, a
tile outside the pyramid, an app whose sessions the tests provide), goes on to the route, which
decides as always. Installed inside CORS and gzip, so their headers are the route's.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from sqlalchemy import Engine
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import SESSION_COOKIE, check_tile_caller, get_session
from api.routes.tiles import HEADER_MAX, tile_answer
from gis.access.callers import ANONYMOUS, Caller
from gis.core.errors import GridmapError
from gis.tiles import mvt

_PATH = re.compile(r"/tiles/([a-z]{1,20})/(\d{1,2})/(\d{1,8})/(\d{1,8})\.pbf")


class CachedTiles:
    """Answers a cached tile without routing (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            answer = await _cached(scope, receive)
            if answer is not None:
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _cached(scope: Scope, receive: Receive) -> Response | None:
    found = _PATH.fullmatch(scope["path"])
    spec = mvt.TILE_LAYERS.get(found[1]) if found is not None else None
    engine = _engine(scope) if spec is not None else None
    asked = _ask(scope) if engine is not None else None
    if found is None or spec is None or engine is None or asked is None:
        return None
    theme, held, accepts, keyed = asked
    z, x, y = (int(n) for n in found.groups()[1:])
    # a public layer's tile is everyone's: not held, the route checks the key (no check here)
    if spec.public and _held(engine, ANONYMOUS, spec, (z, x, y), theme, held) is None:
        return None
    caller = await check_tile_caller(Request(scope, receive), engine) if keyed else ANONYMOUS
    if caller is None or (caller.is_anonymous and not spec.anonymous):
        return None
    tile = _held(engine, caller, spec, (z, x, y), theme, held)
    return None if tile is None else tile_answer(spec, tile, accepts)


def _held(engine: Engine, caller: Caller, spec: mvt.TileLayer, zxy: tuple[int, int, int],
          theme: str, if_none_match: str | None) -> mvt.Tile | None:
    try:
        return mvt.cached_tile(engine, caller, spec.name, *zxy, theme=theme,
                               if_none_match=if_none_match)
    except GridmapError:
        return None


def _engine(scope: Scope) -> Engine | None:
    """The app's engine, unless the app's sessions are provided from outside (tests: their
    session may hold writes not committed, which only the route sees)."""
    app = scope.get("app")
    engine = getattr(getattr(app, "state", None), "engine", None)
    if not isinstance(engine, Engine) or get_session in getattr(app, "dependency_overrides", {}):
        return None
    return engine


def _ask(scope: Scope) -> tuple[str, str | None, str | None, bool] | None:
    """(theme, If-None-Match, Accept-Encoding, whether a key came) of a request carrying no
    login cookie and no parameter but ``theme`` and ``key``, headers within the route's
    limits; None for any other."""
    query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    headers = Headers(scope=scope)
    held, accepts = headers.get("if-none-match"), headers.get("accept-encoding")
    if any(name not in ("theme", "key") for name, _ in query) \
            or f"{SESSION_COOKIE}=" in headers.get("cookie", "") \
            or len(held or "") > HEADER_MAX or len(accepts or "") > HEADER_MAX:
        return None
    params = dict(query)
    keyed = "authorization" in headers or "key" in params
    return params.get("theme", "unified"), held, accepts, keyed
