"""Mapbox Vector Tiles: ``/tiles/{layer}/{z}/{x}/{y}.pbf`` (grids, facilities public;
buildings need a key)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import CallerDep, SessionDep
from gis import tiles

router = APIRouter(tags=["tiles"])


@router.get("/tiles/{layer}/{z}/{x}/{y}.pbf", response_class=Response,
            summary="矢量瓦片 (Mapbox Vector Tile, EPSG:3857 XYZ)",
            responses={200: {"content": {tiles.MEDIA_TYPE: {}}},
                       204: {"description": "the tile holds no feature"}})
def get_tile(layer: str, z: int, x: int, y: int, session: SessionDep, caller: CallerDep,
             theme: str = "unified") -> Response:
    """One tile of ``layer`` (grids | facilities | buildings); ``theme`` picks grids' theme."""
    data = tiles.get_tile(session, caller, layer, z, x, y, theme=theme)
    cache = "public, max-age=60" if tiles.TILE_LAYERS[layer].public else "private, max-age=60"
    return Response(content=data, status_code=200 if data else 204,
                    media_type=tiles.MEDIA_TYPE, headers={"Cache-Control": cache})
