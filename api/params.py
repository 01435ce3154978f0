"""Query parameters shared by the read routes (paging, bbox, KPI queries)."""

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query

Limit = Annotated[int, Query(ge=1, description="page size (at most settings.max_page_size)")]
Offset = Annotated[int, Query(ge=0, le=2_000_000_000, description="rows to skip")]
BBoxParam = Annotated[str | None, Query(
    description="minlon,minlat,maxlon,maxlat in degrees (EPSG:4490/WGS84)",
    examples=["119.17,34.57,119.25,34.63"])]
# ids are PostgreSQL integers: larger numbers are a 422 here, not a database error
MAX_ID = 2_147_483_647
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="numeric id")]
OptionalRowId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="numeric id")]


@dataclass(frozen=True)
class KpiQuery:
    """What ``/api/v1/kpis`` and the 数字驾驶舱's Excel export read: level, region, period."""

    level: Annotated[str, Query(description="grid, community or subdistrict")] = "grid"
    region: Annotated[str | None, Query(
        pattern=r"^[0-9]{12}$", examples=["320706013001"],
        description="a 12-digit region code (街道 or 社区): only its events count (inside the "
                    "caller's region)")] = None
    start: Annotated[date | None, Query(alias="from", description="first day (default: 30 "
                                                                  "days ago)")] = None
    end: Annotated[date | None, Query(alias="to", description="last day (default: today)")
                   ] = None
    trend: Annotated[str | None, Query(description="day or week: events per period")] = None


KpiQueryDep = Annotated[KpiQuery, Depends()]
