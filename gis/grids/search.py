"""Finding a place the way a caller names it, and the grid it belongs to.

``search`` reads one text as coordinates (``lon,lat`` in a chosen CRS), a grid code or name,
a building code, or else an address or compound name (``gis.places.geocode``), and answers
the point (EPSG:4490), the grid, community, subdistrict and grid worker there
(``assign.locate``) and the nearest building's address (``reverse_geocode``). Addresses and
building codes are looked up only inside the caller's region, as ``geocode`` does.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import sql
from gis.core.errors import InvalidInput, NotFound
from gis.grids import assign
from gis.places import buildings, geocode

COORDINATES = re.compile(r"^\s*(-?\d{1,3}\.\d+)\s*[,，\s]\s*(-?\d{1,3}\.\d+)\s*$")
"""``lon,lat`` as people paste it: decimal degrees with a comma (half or full width) or spaces
between (two whole numbers, "12 3", are a door and a building number, not coordinates)."""


def reverse_geocode(session: Session, lon: float, lat: float, *, crs: str = "EPSG:4490",
                    scope: str | None = None) -> dict[str, Any]:
    """What lies at ``lon``/``lat`` (in ``crs``: EPSG:4490/4326, gcj02, bd09, an EPSG code):
    the storage point (EPSG:4490), ``place`` (the ``assign.locate`` answer: grid, community,
    subdistrict, worker's public contact) and ``building``, the nearest building inside
    region ``scope`` within ``buildings.NEAREST_MAX_M`` (None when there is none)."""
    place = assign.locate(session, lon, lat, crs=crs)
    building = buildings.nearest_building(session, place["lon"], place["lat"], scope=scope)
    return {"lon": place["lon"], "lat": place["lat"], "place": place, "building": building}


def _named(session: Session, q: str, scope: str | None) -> dict[str, Any] | None:
    row = session.execute(sql.statement("place_by_code"), {
        "q": q, "scope": jurisdiction.scope_prefix(scope)}).mappings().first()
    return None if row is None else dict(row)


def search(session: Session, q: str, *, crs: str = "EPSG:4490",
           scope: str | None = None) -> dict[str, Any]:
    """One search text to a place (see the module docstring): ``kind`` (coordinates, grid,
    building, address or compound), ``label``, the ``reverse_geocode`` answer and, for an
    address, the geocoder's ``candidates`` (best first) and whether the best is ``clear``.
    ``crs`` is the CRS of pasted coordinates; NotFound when nothing matches."""
    text = (q or "").strip()
    if not text or len(text) > geocode.MAX_QUERY_CHARS:
        raise InvalidInput(f"请输入地址、楼栋编码、网格编码或名称，或坐标 lon,lat "
                           f"(1–{geocode.MAX_QUERY_CHARS} 字)")
    coordinates = COORDINATES.match(text)
    if coordinates:
        lon, lat = float(coordinates[1]), float(coordinates[2])
        return {"query": q, "kind": "coordinates", "label": text, "candidates": [],
                "clear": True, **reverse_geocode(session, lon, lat, crs=crs, scope=scope)}
    named = _named(session, text, scope)
    if named is not None:
        return {"query": q, "kind": named["kind"], "label": named["label"], "candidates": [],
                "clear": True, **reverse_geocode(session, named["lon"], named["lat"],
                                                 scope=scope)}
    found = geocode.geocode(session, text, limit=5, scope=scope)
    if not found["candidates"]:
        raise NotFound(f"没有找到「{text}」：请换一种写法（街路名+门牌号+楼号，或小区名+楼号），"
                       "或输入网格编码、楼栋编码、坐标")
    best = found["candidates"][0]
    kind = "compound" if best["matched"] == "compound" else "address"
    return {"query": q, "kind": kind, "label": best["address"], "candidates": found["candidates"],
            "clear": found["clear"], **reverse_geocode(session, best["lon"], best["lat"],
                                                       scope=scope)}
