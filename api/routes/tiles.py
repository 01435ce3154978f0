"""Mapbox Vector Tiles: ``/tiles/{layer}/{z}/{x}/{y}.pbf`` (grids, facilities, circles public;
buildings: footprints for everyone, attributes of the key's jurisdiction for key holders;
open events: key holders of the region), their TileJSON and a MapLibre style.

Each tile carries a strong ETag naming the versions of the data under it (gis.tiles.cache):
a client that sends it back in ``If-None-Match`` gets 304 and no body, without the tile being
built; other requests are served from the in-process tile cache until grids, buildings,
events, facilities or service circles change. A cached tile (or a 304) is mostly answered
before routing (api.cachedtiles): the versions from this process's listener (gis.tiles.
versions) and a key's validity as this process holds it (gis.access.keycheck), no database
round trip. What reaches the route is answered the same way when its session is untouched (an
anonymous caller, a key checked apart from it), else read and built on a thread in the
request's session.
"""

from __future__ import annotations

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.access import TileLayerDep
from api.deps import CallerDep, SessionDep, TileCallerDep, fresh_engine
from api.schemas.common import errors
from api.schemas.tiles import Style, TileJSON
from gis.places import extents
from gis.tiles import mvt, tilejson

HEADER_MAX = 200
router = APIRouter(tags=["tiles"],
                   responses=errors(401, 403, 422))


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _bounds(session: SessionDep, caller: CallerDep) -> tuple[float, float, float, float] | None:
    return extents.collection_extents(session, scope=caller.scope)["grids"].box


@router.get("/tiles/style.json", response_model=Style, summary="MapLibre 样式 (all tile layers)")
def get_style(request: Request, session: SessionDep, caller: CallerDep) -> dict:
    """A MapLibre style drawing the tile layers this caller may read."""
    readable = [name for name, spec in mvt.TILE_LAYERS.items()
                if spec.anonymous or not caller.is_anonymous]
    return tilejson.style(_base(request), readable, _bounds(session, caller))


@router.get("/tiles/{layer}.json", response_model=TileJSON, summary="TileJSON 3.0 of a layer")
def get_tilejson(spec: TileLayerDep, request: Request, session: SessionDep,
                 caller: TileCallerDep) -> dict:
    """The layer's TileJSON: tile URL template, zoom range, fields, bounds."""
    return tilejson.tilejson(spec, _base(request), _bounds(session, caller))


@router.get("/tiles/{layer}/{z}/{x}/{y}.pbf", response_class=Response,
            summary="矢量瓦片 (Mapbox Vector Tile, EPSG:3857 XYZ)",
            responses={200: {"content": {mvt.MEDIA_TYPE: {}}},
                       204: {"description": "the tile holds no feature"},
                       304: {"description": "the tile is the one the client holds"}})
async def get_tile(spec: TileLayerDep, z: int, x: int, y: int, session: SessionDep,
                   caller: TileCallerDep, theme: str = "unified", *,
                   if_none_match: str | None = Header(None, max_length=HEADER_MAX),
                   accept_encoding: str | None = Header(None, max_length=HEADER_MAX),
                   ) -> Response:
    """One tile of ``layer`` (grids | facilities | circles | buildings | events); ``theme``
    picks grids' theme.

    Buildings answer anonymous callers with bare footprints (geometry, no attribute) and key
    holders with the buildings of their jurisdiction, address, households and residents
    included; from zoom 12. Events (open ones, no personal field) need a key; from zoom 10.
    Circles are the stored 10-minute walking circles. The ETag names the version of the data
    under the tile; the tile is served from the cache until that data changes.
    """
    engine = fresh_engine(session)
    tile = None if engine is None else mvt.cached_tile(
        engine, caller, spec.name, z, x, y, theme=theme, if_none_match=if_none_match)
    if tile is None:
        tile = await run_in_threadpool(mvt.get_tile, session, caller, spec.name, z, x, y,
                                       theme=theme, if_none_match=if_none_match)
    return tile_answer(spec, tile, accept_encoding)


def tile_answer(spec: mvt.TileLayer, tile: mvt.Tile, accept_encoding: str | None) -> Response:
    """The answer carrying ``tile`` (304 when the client holds it, 204 when empty), gzipped
    when the client takes gzip (the bytes as cached: no compression per answer)."""
    # a keyed layer's tile depends on who asks: never in a shared cache, and a browser must
    # not hand the anonymous tile it cached to the same URL after login (or back)
    headers = ({"Cache-Control": "public, max-age=60", "Vary": "Accept-Encoding"}
               if spec.public else {"Cache-Control": "private, max-age=60",
                                    "Vary": "Authorization, Cookie, Accept-Encoding"})
    headers["ETag"] = tile.etag
    if tile.gzipped is None:
        return Response(status_code=304, headers=headers)
    if not tile.gzipped:
        return Response(status_code=204, media_type=mvt.MEDIA_TYPE, headers=headers)
    if _accepts_gzip(accept_encoding):
        headers["Content-Encoding"] = "gzip"
        return Response(content=tile.gzipped, media_type=mvt.MEDIA_TYPE, headers=headers)
    return Response(content=tile.body, media_type=mvt.MEDIA_TYPE, headers=headers)


def _accepts_gzip(accept_encoding: str | None) -> bool:
    for part in (accept_encoding or "").lower().split(","):
        coding, _, weight = part.strip().partition(";")
        if coding.strip() in ("gzip", "*") and weight.replace(" ", "") not in ("q=0", "q=0.0"):
            return True
    return False
