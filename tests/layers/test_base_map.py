"""Page helpers and the overview page: every layer, legend and Chinese label is in the HTML,
and no script or stylesheet comes from another host."""

from __future__ import annotations

import json
import re
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import pytest
from jinja2.utils import htmlsafe_json_dumps
from shapely import box
from sqlalchemy.orm import Session

from gis.access.callers import ANONYMOUS, Caller
from layers import assets, catalogue, overview, page
from tests.layers.scene import BIG, COMMUNITY, SMALL, make_scene

ASSET_URL = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"')


def visible(html: str, text: str) -> bool:
    """``text`` is in the page as written, or inside a JSON literal (how folium embeds data)."""
    return text in html or str(htmlsafe_json_dumps(text))[1:-1] in html


def overview_seen(session: Session, caller: Caller, **options: Any) -> str:
    """What /map shows once loaded: its HTML and the layers it fetches after load
    (``/map/layers/overview``, answered by ``overview.overview_layers``)."""
    html = overview.render_overview(session, caller, **options)
    layers = overview.overview_layers(session, caller, **options)
    return html + json.dumps(layers, ensure_ascii=False)


SOURCE = re.compile(r'gmLayers\.source\(\w+, ("(?:[^"\\]|\\.)*")')


def seen_over_http(client: Any, url: str, **options: Any) -> str:
    """What a page shows once loaded, over HTTP: its HTML and the answers of the layer routes
    it fetches after load (layers/deferred.py), for the whole map (no bbox)."""
    answer = client.get(url, **options)
    assert answer.status_code == 200, answer.text
    texts = [answer.text]
    for quoted in SOURCE.findall(answer.text):
        layers = client.get(json.loads(quoted), **options)
        assert layers.status_code == 200, layers.text
        texts.append(layers.text)
    return "".join(texts)


def asset_urls(html: str) -> list[str]:
    """URLs of the page's scripts and stylesheets (inline ``data:`` URIs left out)."""
    return [u for u in ASSET_URL.findall(html) if not u.startswith("data:")]


def assert_offline(html: str) -> None:
    urls = asset_urls(html)
    assert urls, "the page loads Leaflet from somewhere"
    assert all(u.startswith("/static/") for u in urls), urls
    assert not re.search(r"https?://|//cdn|url\(\s*['\"]?//", html), "an external URL is left"


def test_base_map_is_offline_with_a_neutral_background():
    fmap = page.base_map((119.2, 34.6, 119.22, 34.62), title="测试地图")
    html = page.render(fmap)
    assert_offline(html)
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/gridmap/gridmap.css" in html
    assert "L.tileLayer" not in html  # no basemap unless configured
    assert "<title>测试地图</title>" in html
    assert "imperial: false" in html  # metric scale bar


def test_gridmap_css_comes_after_leaflet_css():
    html = page.render(page.base_map(None, title="t"))
    assert html.index("leaflet/leaflet.css") < html.index("gridmap/gridmap.css")


def test_configured_basemap_is_used():
    fmap = page.base_map(None, title="t", basemap_url="http://tiles.intranet/{z}/{x}/{y}.png")
    html = page.render(fmap)
    assert "L.tileLayer" in html and "tiles.intranet" in html
    assert all(u.startswith("/static/") for u in asset_urls(html))


def test_title_is_escaped():
    html = page.render(page.base_map(None, title="<script>x</script>"))
    assert "<script>x</script>" not in html


def test_marker_cluster_is_served_locally():
    fmap = page.base_map(None, title="t")
    folium.plugins.MarkerCluster().add_to(fmap)
    html = page.render(fmap)
    assert_offline(html)
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in html


def test_a_plugin_without_an_offline_copy_is_refused():
    fmap = page.base_map(None, title="t")
    folium.plugins.Fullscreen().add_to(fmap)
    with pytest.raises(ValueError, match="no offline copy"):
        page.render(fmap)


def test_font_awesome_icons_are_refused():
    fmap = page.base_map(None, title="t")
    folium.Marker([34.6, 119.2], icon=folium.Icon(icon="home")).add_to(fmap)
    with pytest.raises(ValueError, match="div_icon"):
        page.render(fmap)


def test_every_served_asset_folder_exists():
    for folder in assets.asset_dirs():
        assert folder.directory.is_dir(), folder
    for url in assets.OFFLINE_LINKS.values():
        folder = next(f for f in assets.asset_dirs() if url.startswith(f.url + "/"))
        assert (folder.directory / url.removeprefix(folder.url + "/")).is_file(), url


def test_popup_html_escapes_and_adds_units():
    frame = gpd.GeoDataFrame({"name": ["<b>甲</b>"], "households": [512], "area_km2": [0.12345]},
                             geometry=[box(0, 0, 1, 1)])
    attrs = [catalogue.Attribute("households", "户数", "户"),
             catalogue.Attribute("area_km2", "面积", "km²"), catalogue.Attribute("nope", "无")]
    html = page.popup_html(frame, attrs, title_field="name").iloc[0]
    assert "&lt;b&gt;甲&lt;/b&gt;" in html and "<b>" not in html
    assert "<th>户数</th><td>512 户</td>" in html
    assert "0.123 km²" in html
    assert "无" not in html


def test_legend_lists_household_classes_and_facility_icons():
    html = page.legend_html("网格", catalogue.HOUSEHOLD_CLASSES)
    assert "超过 500 户" in html and "少于 300 户" in html
    icons = page.legend_html("设施", catalogue.get_layer("facilities").legend)
    assert icons.count('class="gm-icon"') == len(catalogue.FACILITY_TYPES)


@pytest.fixture
def overview_html(session: Session) -> str:
    make_scene(session)
    return overview_seen(session, ANONYMOUS)


def test_overview_is_offline(session: Session):
    make_scene(session)
    assert_offline(overview.render_overview(session, ANONYMOUS))


def test_overview_html_holds_the_shell_and_the_layers_come_after_load(session: Session):
    make_scene(session)
    html = overview.render_overview(session, ANONYMOUS)
    assert not visible(html, BIG) and not visible(html, "花果山卫生服务站")
    assert visible(html, overview.LAYERS_URL + "?theme=unified")
    assert "/static/gridmap/deferred.js" in html
    answer = overview.overview_layers(session, ANONYMOUS)
    counts = {key: len(fc["features"]) for key, fc in answer["layers"].items()}
    assert counts == {"grids": 2, "water": 1, "communities": 1, "buildings": 2,
                      "grid_labels": 2, "facilities": 2}
    # a box holding only the southern grid and its building: the northern ones stay out
    south = overview.overview_layers(session, ANONYMOUS, bbox=(119.204, 34.602, 119.208, 34.606))
    assert not visible(json.dumps(south, ensure_ascii=False), BIG)
    assert len(south["layers"]["grids"]["features"]) == 1


def test_overview_has_every_layer_in_the_layer_control(overview_html: str):
    for key in ("grids", "grid_labels", "communities", "buildings", "facilities", "water"):
        assert visible(overview_html, catalogue.get_layer(key).label), key
    assert "L.control.layers" in overview_html


def test_overview_legend_in_hu_and_facility_types(overview_html: str):
    for entry in catalogue.HOUSEHOLD_CLASSES:
        assert visible(overview_html, entry.label)
    assert visible(overview_html, "党群服务中心") and visible(overview_html, "卫生服务站")
    assert visible(overview_html, "图例")


def test_overview_grid_popup_and_labels(overview_html: str):
    for text in (BIG, SMALL, "南苑网格", "600 户", "1500 人", "km²", "张网格", "13900001111",
                 "0518-12345", "监督电话", "未办结事件", "1 件", "花果山社区"):
        assert visible(overview_html, text), text
    # the grid's name holds "<网格>": escaped, never raw markup
    assert visible(overview_html, "北苑&lt;网格&gt;")
    assert not visible(overview_html, "北苑<网格>")


def test_overview_colours_grids_by_household_class(overview_html: str):
    big, small = catalogue.HOUSEHOLD_CLASSES[3].color, catalogue.HOUSEHOLD_CLASSES[0].color
    assert f'"fillColor": "{big}"' in overview_html
    assert f'"fillColor": "{small}"' in overview_html


def test_overview_shows_facility_icons_and_water(overview_html: str):
    assert visible(overview_html, "花果山卫生服务站")
    assert visible(overview_html, page.icon_html("医", "#2e7d32"))
    assert visible(overview_html, "蔷薇河") or visible(overview_html, "水系")


def test_building_details_only_for_key_holders(session: Session):
    make_scene(session)
    anonymous = overview_seen(session, ANONYMOUS)
    assert not visible(anonymous, "海州区朝阳路1号")
    assert visible(anonymous, "详情需授权")
    inside = overview_seen(session, Caller(role="viewer", region_code=COMMUNITY))
    assert visible(inside, "海州区朝阳路1号")
    outside = overview_seen(session, Caller(role="viewer", region_code="320706014000"))
    assert not visible(outside, "海州区朝阳路1号")


def test_overview_of_one_community_and_an_empty_database(session: Session):
    empty = overview.render_overview(session, ANONYMOUS)
    assert_offline(empty)
    assert all(not fc["features"] for fc in
               overview.overview_layers(session, ANONYMOUS)["layers"].values())
    make_scene(session)
    html = overview_seen(session, ANONYMOUS, community_code="320706099999")
    assert not visible(html, BIG)


def test_overview_layers_follow_a_gcj02_basemap(session: Session):
    """With 高德 the layers after load are shifted to GCJ-02, as the embedded ones were."""
    from gis.core import crs

    make_scene(session)
    plain = overview.overview_layers(session, ANONYMOUS)["layers"]["facilities"]["features"]
    amap = overview.overview_layers(session, ANONYMOUS,
                                    basemap_url="amap")["layers"]["facilities"]["features"]
    for stored, drawn in zip(plain, amap, strict=True):
        lon, lat = stored["geometry"]["coordinates"]
        gx, gy = crs.wgs84_to_gcj02(lon, lat)
        assert drawn["geometry"]["coordinates"] == pytest.approx([float(gx), float(gy)],
                                                                 abs=2e-6)
        assert abs(drawn["geometry"]["coordinates"][0] - lon) > 1e-3
