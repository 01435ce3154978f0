"""GeoJSON and JSON page answers: numberMatched/numberReturned and next/prev links."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import pandas as pd
from fastapi import Request
from fastapi.responses import JSONResponse

from gis.core.frames import (
    feature_collection_from_frame,
    feature_collection_json,
    feature_collection_json_rows,
    records_from_frame,
)

GEOJSON = "application/geo+json"


class GeoJSONResponse(JSONResponse):
    """RFC 7946 GeoJSON (lon/lat), served as application/geo+json."""

    media_type = GEOJSON

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):  # serialised already (gis.core.frames)
            return content
        return json.dumps(content, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8")


def page_links(request: Request, *, returned: int, matched: int, limit: int | None,
               offset: int, media_type: str = GEOJSON) -> list[dict]:
    """self, and next/prev links that keep every other query parameter of ``request``."""
    url = request.url
    links = [{"rel": "self", "type": media_type, "href": str(url)}]
    if limit is not None and offset + returned < matched:
        links.append({"rel": "next", "type": media_type, "title": "next page",
                      "href": str(url.include_query_params(offset=offset + limit,
                                                           limit=limit))})
    if limit is not None and offset > 0:
        links.append({"rel": "prev", "type": media_type, "title": "previous page",
                      "href": str(url.include_query_params(offset=max(offset - limit, 0),
                                                           limit=limit))})
    return links


def _paging(request: Request, frame: pd.DataFrame, limit: int | None, offset: int,
            media_type: str) -> dict:
    matched = int(frame.attrs.get("number_matched", len(frame)))
    return {"numberMatched": matched, "numberReturned": len(frame),
            "links": page_links(request, returned=len(frame), matched=matched, limit=limit,
                                offset=offset, media_type=media_type)}


def geojson_page(request: Request, frame: gpd.GeoDataFrame, *, limit: int | None,
                 offset: int, id_column: str = "code", extra: dict | None = None
                 ) -> GeoJSONResponse:
    """A FeatureCollection of one page, feature ids taken from ``id_column``."""
    return GeoJSONResponse(feature_collection_json(
        frame, id_column=id_column,
        extra={**_paging(request, frame, limit, offset, GEOJSON), **(extra or {})}))


def geojson_page_rows(request: Request, rows: list[dict[str, Any]], matched: int, *,
                      limit: int | None, offset: int, id_column: str = "code"
                      ) -> GeoJSONResponse:
    """``geojson_page`` of plain rows (gis.core.paging.run_page_rows): the same answer."""
    links = page_links(request, returned=len(rows), matched=matched, limit=limit,
                       offset=offset, media_type=GEOJSON)
    return GeoJSONResponse(feature_collection_json_rows(rows, id_column=id_column, extra={
        "numberMatched": matched, "numberReturned": len(rows), "links": links}))


def geojson_feature(frame: gpd.GeoDataFrame, *, id_column: str = "code",
                    links: list[dict] | None = None) -> GeoJSONResponse:
    """The single Feature of a one-row frame."""
    feature = feature_collection_from_frame(frame, id_column=id_column)["features"][0]
    return GeoJSONResponse({**feature, **({"links": links} if links else {})})


def json_page(request: Request, frame: pd.DataFrame, *, limit: int | None,
              offset: int) -> JSONResponse:
    """A plain JSON page ``{"items": [...], numberMatched, numberReturned, links}``,
    serialised once: a page of thousands of rows is not re-checked against its model (the
    route's response_model documents it; tests/api/test_openapi.py checks it)."""
    return JSONResponse({"items": records_from_frame(frame),
                         **_paging(request, frame, limit, offset, "application/json")})
