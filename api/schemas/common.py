"""Shapes shared by every answer: GeoJSON (RFC 7946, lon/lat), pages, links and errors.

The models describe answers for the OpenAPI document and check small JSON answers on their
way out; GeoJSON answers are serialised once by ``api.responses`` and only described.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

P = TypeVar("P", bound=BaseModel)
T = TypeVar("T")

Number = int | float
"""A JSON number as computed (ints stay ints: a checked answer is not rewritten as 5.0)."""


class Open(BaseModel):
    """An answer whose listed fields are always there; others may come along."""

    model_config = ConfigDict(extra="allow")


class Geometry(Open):
    """An RFC 7946 geometry in lon/lat (EPSG:4490, equal to WGS84 within centimetres)."""

    type: Literal["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection"]
    coordinates: Any = Field(None, description="nested lon/lat arrays (not for collections)")


class Link(Open):
    """A link of a page: rel self/next/prev, media type, href."""

    rel: str
    type: str | None = None
    title: str | None = None
    href: str


class Feature(Open, Generic[P]):
    """An RFC 7946 Feature; ``id`` is the object's code where it has one."""

    type: Literal["Feature"]
    id: str | int | None = None
    geometry: Geometry | None
    properties: P


class FeatureCollection(Open, Generic[P]):
    """An RFC 7946 FeatureCollection; lists add numberMatched, numberReturned and links."""

    type: Literal["FeatureCollection"]
    features: list[Feature[P]]
    numberMatched: int | None = Field(None, description="rows matching the filters")
    numberReturned: int | None = Field(None, description="features in this page")
    links: list[Link] | None = None


class Properties(Open):
    """Feature properties not described field by field (they follow the data)."""


class Page(Open, Generic[T]):
    """A JSON page: ``items`` plus numberMatched, numberReturned and self/next/prev links."""

    items: list[T]
    numberMatched: int
    numberReturned: int
    links: list[Link]


class Items(Open, Generic[T]):
    """A plain list answer ``{"items": [...]}``."""

    items: list[T]


class ErrorBody(Open):
    """Every error: a reason for people and a stable code for programs; some carry more
    (``allowed`` transitions, ``valid`` values, the import ``report``…)."""

    detail: str = Field(description="what went wrong, for people")
    code: str = Field(description="stable machine code, e.g. not_found, invalid_input")


ERROR_DESCRIPTIONS = {
    400: "a query parameter the standard does not know or cannot read (OGC API)",
    401: "no or unknown API key (Authorization: Bearer <key>)",
    403: "the key's role may not do this, or the object lies outside its region",
    404: "no such object (also outside the key's region, so nothing leaks)",
    409: "conflict: illegal state change, or the data changed meanwhile",
    412: "If-Match names a version that is no longer current: reload and redo the change",
    413: "request body, upload or archive too large (GRIDMAP_MAX_BODY_BYTES, …)",
    415: "a file of a kind this route does not take (photos: JPEG, PNG or WebP)",
    422: ("invalid input (bad parameters, coordinates, geometry or body); the detail names "
          "each field and rule ('body.location.lat: Input should be a valid number'), never "
          "the value sent"),
    429: "too many requests from this key or address; see the Retry-After header",
    504: "the database stopped the request at its statement_timeout; ask for less at once",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each error status with the error body, always JSON (also
    on GeoJSON routes, whose own media type FastAPI would give a model's schema)."""
    body = {"application/json": {"schema": ErrorBody.model_json_schema()}}
    return {s: {"description": ERROR_DESCRIPTIONS[s], "content": body} for s in statuses}
