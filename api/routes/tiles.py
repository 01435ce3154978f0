"""Mapbox Vector Tiles: ``/tiles/{layer}/{z}/{x}/{y}.pbf`` (grids, facilities public;
buildings: footprints for everyone, attributes of the key's jurisdiction for key holders)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.access import TileLayerDep
from api.deps import CallerDep, SessionDep
from api.schemas.common import errors
from gis.tiles import mvt

router = APIRouter(tags=["tiles"],
                   responses=errors(401, 403, 422))


@router.get("/tiles/{layer}/{z}/{x}/{y}.pbf", response_class=Response,
            summary="矢量瓦片 (Mapbox Vector Tile, EPSG:3857 XYZ)",
            responses={200: {"content": {mvt.MEDIA_TYPE: {}}},
                       204: {"description": "the tile holds no feature"}})
def get_tile(spec: TileLayerDep, z: int, x: int, y: int, session: SessionDep,
             caller: CallerDep, theme: str = "unified") -> Response:
    """One tile of ``layer`` (grids | facilities | buildings); ``theme`` picks grids' theme.

    Buildings answer anonymous callers with bare footprints (geometry, no attribute) and key
    holders with the buildings of their jurisdiction, address, households and residents
    included; from zoom 12.
    """
    data = mvt.get_tile(session, caller, spec.name, z, x, y, theme=theme)
    # a keyed layer's tile depends on who asks: never in a shared cache, and a browser must
    # not hand the anonymous tile it cached to the same URL after login (or back)
    headers = ({"Cache-Control": "public, max-age=60"} if spec.public
               else {"Cache-Control": "private, max-age=60", "Vary": "Authorization, Cookie"})
    return Response(content=data, status_code=200 if data else 204,
                    media_type=mvt.MEDIA_TYPE, headers=headers)
