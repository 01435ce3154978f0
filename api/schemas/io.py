"""Import reports and exports."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.common import FeatureCollection, Open, Properties


class RowNote(Open):
    """A repaired or rejected row (``row`` counts from 1 in file order) and why."""

    row: int
    code: str | None = None
    status: str
    reason: str


class ImportReport(Open):
    """Every row read is accepted, repaired or rejected; ``read == accepted + repaired +
    rejected``; at most 1,000 rows are listed, the counts cover all."""

    kind: str
    file: str
    read: int
    accepted: int
    repaired: int
    rejected: int
    written: int = 0
    source_crs: str | None = None
    ignored_columns: list[str] = Field(default_factory=list)
    encoding: str | None = Field(None, description="the text encoding and how it was known "
                                 "(e.g. 'GB18030 (detected: no .cpg)'), when not declared")
    dropped: dict[str, int] = Field(default_factory=dict, description="rows left out before "
                                    "the checks, by kind (roads: motorway, trunk…)")
    rows: list[RowNote] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)


class Export(FeatureCollection[Properties]):
    """All rows of a kind in the import field names (lon/lat); ``kind`` names it."""

    kind: str | None = None
