"""Query parameters shared by the read routes (paging and bbox)."""

from typing import Annotated

from fastapi import Query

Limit = Annotated[int, Query(ge=1, description="page size (at most settings.max_page_size)")]
Offset = Annotated[int, Query(ge=0, le=2_000_000_000, description="rows to skip")]
BBoxParam = Annotated[str | None, Query(
    description="minlon,minlat,maxlon,maxlat in degrees (EPSG:4490/WGS84)",
    examples=["119.17,34.57,119.25,34.63"])]
