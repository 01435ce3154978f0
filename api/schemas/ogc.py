"""OGC API – Features: landing page, conformance, collections (items are GeoJSON)."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Link, Open


class Landing(Open):
    title: str
    description: str | None = None
    links: list[Link]


class Conformance(Open):
    conformsTo: list[str]


class Collection(Open):
    """A collection: id, title, item type, CRS list and links to its items."""

    id: str
    title: str
    description: str | None = None
    itemType: str | None = None
    crs: list[str] = Field(default_factory=list)
    links: list[Link]


class Collections(Open):
    collections: list[Collection]
    links: list[Link]
