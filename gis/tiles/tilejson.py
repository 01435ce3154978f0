"""TileJSON 3.0.0 of each tile layer and one MapLibre style document for all of them.

Tiles are Web Mercator (EPSG:3857) XYZ; bounds are lon/lat (EPSG:4490 ≈ WGS84). URLs are
absolute on the server's ``base`` so MapLibre, QGIS and OpenLayers can use them anywhere.
"""

from __future__ import annotations

from typing import Any

from gis.tiles.mvt import MAX_ZOOM, TILE_LAYERS, TileLayer

TILEJSON_VERSION = "3.0.0"
COLOURS = {"grids": "#3182bd", "facilities": "#e6550d", "buildings": "#756bb1",
           "events": "#d7191c"}


def tile_url(base: str, layer: str) -> str:
    return f"{base}/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf"


def tilejson(spec: TileLayer, base: str, bounds: tuple[float, float, float, float] | None
             ) -> dict[str, Any]:
    """The TileJSON of ``spec`` with its fields, zoom range and data bounds."""
    doc: dict[str, Any] = {
        "tilejson": TILEJSON_VERSION, "name": spec.name, "description": spec.title,
        "scheme": "xyz", "tiles": [tile_url(base, spec.name)],
        "minzoom": spec.min_zoom, "maxzoom": MAX_ZOOM,
        "attribution": "gridmap 网格地图",
        "vector_layers": [{"id": spec.name, "description": spec.title,
                           "minzoom": spec.min_zoom, "maxzoom": MAX_ZOOM,
                           "fields": dict(spec.fields)}]}
    if bounds is not None:
        doc["bounds"] = list(bounds)
        doc["center"] = [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 14]
    return doc


def style(base: str, layers: list[str], bounds: tuple[float, float, float, float] | None
          ) -> dict[str, Any]:
    """A MapLibre style (version 8) drawing ``layers`` from gridmap's own tiles (no basemap,
    no glyphs: labels stay in the pages)."""
    sources = {name: {"type": "vector", "url": f"{base}/tiles/{name}.json"} for name in layers}
    drawn: list[dict[str, Any]] = [{"id": "background", "type": "background",
                                    "paint": {"background-color": "#eef0ea"}}]
    for name in layers:
        spec, colour = TILE_LAYERS[name], COLOURS.get(name, "#333333")
        common = {"source": name, "source-layer": name, "minzoom": spec.min_zoom}
        if spec.geometry == "point":
            drawn.append({"id": name, "type": "circle", **common,
                          "paint": {"circle-color": colour, "circle-radius": 5,
                                    "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}})
        else:
            drawn.append({"id": f"{name}-fill", "type": "fill", **common,
                          "paint": {"fill-color": colour, "fill-opacity": 0.15}})
            drawn.append({"id": f"{name}-line", "type": "line", **common,
                          "paint": {"line-color": colour, "line-width": 1}})
    doc: dict[str, Any] = {"version": 8, "name": "gridmap", "sources": sources, "layers": drawn}
    if bounds is not None:
        doc["center"] = [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2]
        doc["zoom"] = 13
    return doc
