"""Query parameters shared by the read routes (paging and bbox)."""

from typing import Annotated

from fastapi import Path, Query

Limit = Annotated[int, Query(ge=1, description="page size (at most settings.max_page_size)")]
Offset = Annotated[int, Query(ge=0, le=2_000_000_000, description="rows to skip")]
BBoxParam = Annotated[str | None, Query(
    description="minlon,minlat,maxlon,maxlat in degrees (EPSG:4490/WGS84)",
    examples=["119.17,34.57,119.25,34.63"])]
# ids are PostgreSQL integers: larger numbers are a 422 here, not a database error
MAX_ID = 2_147_483_647
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="numeric id")]
OptionalRowId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="numeric id")]
