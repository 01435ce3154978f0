"""TileJSON 3.0.0 and MapLibre style documents (only the fields clients rely on listed)."""

from __future__ import annotations

from api.schemas.common import Open


class TileJSON(Open):
    """A tile layer's TileJSON: URL template, zoom range, vector layer fields, bounds."""

    tilejson: str
    tiles: list[str]
    minzoom: int
    maxzoom: int
    vector_layers: list[dict]


class Style(Open):
    """A MapLibre style (version 8) whose sources are gridmap's TileJSON documents."""

    version: int
    sources: dict[str, dict]
    layers: list[dict]
