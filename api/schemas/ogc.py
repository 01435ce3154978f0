"""OGC API – Features: landing page, conformance, collections (items are GeoJSON)."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Feature, FeatureCollection, Link, Open, Properties


class Landing(Open):
    title: str
    description: str | None = None
    links: list[Link]


class Conformance(Open):
    conformsTo: list[str]


class CollectionInfo(Open):
    """A collection: id, title, item type, CRS list and links to its items."""

    id: str
    title: str
    description: str | None = None
    itemType: str | None = None
    crs: list[str] = Field(default_factory=list)
    links: list[Link]


class Collections(Open):
    collections: list[CollectionInfo]
    links: list[Link]


class Items(FeatureCollection[Properties]):
    """A page of a collection's features (properties as the collection's resource has
    them), with numberMatched, numberReturned, links and timeStamp."""

    timeStamp: str | None = None


class Item(Feature[Properties]):
    """One feature of a collection, with links to itself and its collection."""

    links: list[Link] = Field(default_factory=list)


class Queryables(Open):
    """A collection's queryable properties as a JSON Schema (OGC API – Features Part 3)."""

    properties: dict[str, dict]
    type: str = "object"
