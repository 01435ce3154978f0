"""Basemap presets and specs (layers.basemaps, gis.core.settings.basemap_spec), and the
GCJ-02 shift of everything a page embeds when its basemap is 高德 (AMap)."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pytest
from pydantic import ValidationError
from shapely import Point, Polygon, get_coordinates, normalize

from gis.core import crs
from gis.core.settings import Settings
from layers import basemaps, page

# several points across the demo district and far from it (all inside China's GCJ box)
PLACES = [(119.2213, 34.6012), (119.1702, 34.5815), (116.3975, 39.9087), (113.2644, 23.1291)]


def test_settings_fold_into_one_spec():
    assert Settings().basemap_url is None
    assert Settings(basemap="amap").basemap_url == "amap"
    assert Settings(basemap="OSM").basemap_url == "osm"
    assert Settings(basemap="tianditu", tianditu_key="k1").basemap_url == "tianditu#key=k1"
    assert Settings(basemap="none", basemap_url="http://t/{z}/{x}/{y}.png").basemap_url is None
    custom = Settings(basemap_url="http://t{s}.intra/{z}/{x}/{y}.png", basemap_subdomains="1234",
                      basemap_crs="GCJ02")
    assert custom.basemap_url == "http://t{s}.intra/{z}/{x}/{y}.png#subdomains=1234&crs=gcj02"
    again = Settings(**custom.model_dump())  # validated twice: the same spec
    assert again.basemap_url == custom.basemap_url


@pytest.mark.parametrize(("fields", "message"), [
    ({"basemap": "tianditu"}, "GRIDMAP_TIANDITU_KEY"),
    ({"basemap": "baidu"}, "unknown basemap 'baidu'"),
    ({"basemap_url": "http://t/{z}/{x}/{y}.png", "basemap_crs": "bd09"}, "GRIDMAP_BASEMAP_CRS"),
])
def test_settings_refuse_what_cannot_work(fields: dict[str, str], message: str):
    with pytest.raises(ValidationError, match=message):
        Settings(**fields)


def test_tianditu_draws_vector_and_annotation_with_its_key_and_subdomains():
    html = page.render(page.base_map(None, title="t", basemap_url="tianditu#key=abc123"))
    assert html.count("L.tileLayer") == 2
    for layer in ("vec", "cva"):
        assert (f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=abc123").replace("&", "\\u0026") in html
    assert '"subdomains": "01234567"' in html


def test_custom_url_keeps_its_subdomains_and_default_pages_have_none():
    spec = Settings(basemap_url="http://m{s}.intra/{z}/{x}/{y}.png",
                    basemap_subdomains="1234").basemap_url
    html = page.render(page.base_map(None, title="t", basemap_url=spec))
    assert "http://m{s}.intra/{z}/{x}/{y}.png" in html and '"subdomains": "1234"' in html
    assert "#subdomains" not in html
    plain = page.render(page.base_map(None, title="t"))
    assert "L.tileLayer" not in plain and "gmBasemap.crs" not in plain
    assert basemaps.BASEMAP_JS in plain  # the coordinate helper is always there (identity)


def places_frame() -> gpd.GeoDataFrame:
    """A point at each place and a ~100 m square next to it, EPSG:4490."""
    geoms = [Point(x, y) for x, y in PLACES] + [
        Polygon([(x, y), (x + 0.001, y), (x + 0.001, y + 0.001), (x, y + 0.001)])
        for x, y in PLACES]
    return gpd.GeoDataFrame({"name": [f"p{i}" for i in range(len(geoms))]},
                            geometry=geoms, crs=4490)


def amap_page(frame: gpd.GeoDataFrame, spec: str = "amap") -> tuple[folium.Map, folium.GeoJson]:
    fmap = page.base_map(page.frame_bounds(frame), title="t", basemap_url=spec)
    layer = folium.GeoJson(page.feature_collection(frame, ["name"])).add_to(fmap)
    lon, lat = PLACES[0]
    folium.Marker([lat, lon]).add_to(fmap)
    return fmap, layer


def test_amap_page_shifts_every_feature_to_gcj02_as_gis_converts():
    frame = places_frame()
    fmap, layer = amap_page(frame)
    html = page.render(fmap)
    assert '"subdomains": "1234"' in html and "webrd0{s}.is.autonavi.com" in html
    assert 'window.gmBasemap.crs = "gcj02"' in html
    shown = gpd.GeoDataFrame.from_features(layer.data["features"], crs=4490)
    assert list(shown["name"]) == list(frame["name"])
    for stored, drawn in zip(frame.geometry, shown.geometry, strict=True):
        # ring orientation may change on the way out (RFC 7946): compare normalised vertices
        xy = get_coordinates(normalize(stored))
        gx, gy = crs.wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        np.testing.assert_allclose(get_coordinates(normalize(drawn)), np.column_stack([gx, gy]),
                                   atol=2e-6)
        assert np.abs(get_coordinates(normalize(drawn)) - xy).max() > 1e-3  # ~500 m moved
    marker = next(c for c in fmap._children.values() if isinstance(c, folium.Marker))
    gx, gy = crs.wgs84_to_gcj02(*PLACES[0])
    assert marker.location == pytest.approx([float(gy), float(gx)], abs=1e-6)
    page.render(fmap)  # a second render does not shift again
    assert marker.location == pytest.approx([float(gy), float(gx)], abs=1e-6)


def test_wgs84_basemaps_leave_coordinates_alone():
    frame = places_frame()
    for spec in ("osm", "tianditu#key=k", "http://x/{z}/{x}/{y}.png", None):
        fmap, layer = amap_page(frame, spec or "")
        before = [f["geometry"] for f in layer.data["features"]]
        page.render(fmap)
        assert [f["geometry"] for f in layer.data["features"]] == before


def test_custom_gcj02_url_is_shifted_too():
    fmap, layer = amap_page(places_frame(), "http://amap.intra/{z}/{x}/{y}.png#crs=gcj02")
    lon, lat = layer.data["features"][0]["geometry"]["coordinates"]
    page.render(fmap)
    moved = layer.data["features"][0]["geometry"]["coordinates"]
    gx, gy = crs.wgs84_to_gcj02(lon, lat)
    assert moved == pytest.approx([float(gx), float(gy)], abs=1e-6)
