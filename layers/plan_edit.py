"""Manual redraw on the plan review page: Leaflet.draw (folium.plugins.Draw) and building
selection on the proposed map, posting edits to ``POST /api/v1/plans/{id}/edits``.

A drawn line splits the grid it crosses, a drawn polygon replaces the boundary of the grid
number in the panel (or of the grid it overlaps most), clicked buildings move to the grid
number in the panel, and two grid numbers merge. After each edit the page reloads and shows
the recomputed plan, flags and metrics. Each edit sends ``If-Match`` with the plan version
the page shows, so an edit made on a plan someone else changed since is refused (412) with
a prompt to reload instead of landing on a state the planner never saw. State-changing API
calls need the
``Authorization: Bearer`` header, so the planner pastes the key once; it is kept in the
tab's ``sessionStorage`` only (gone when the tab closes).
"""

from __future__ import annotations

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import Draw
from jinja2 import Template

from layers import assets, page
from layers.catalogue import Attribute

SELECTED_COLOR = "#ff7f00"
KEY_STORAGE = "gridmap_api_key"
PLAN_EDIT_JS = f"{assets.STATIC}/gridmap/plan_edit.js"

PANEL_HTML = """
<details open id="gm-editor"><summary><b>手工调整 manual redraw</b></summary>
<div><label>API 密钥 <input id="gm-key" type="password" size="14"
  placeholder="粘贴规划员密钥"></label> <button id="gm-key-save" type="button">保存</button>
  <span id="gm-key-state"></span></div>
<div><label>网格# <input id="gm-seq" type="number" min="1" style="width:4em"></label>
  <button id="gm-move" type="button">把选中建筑移入</button>
  <span id="gm-selected">已选 0 栋</span></div>
<div><label>与网格# <input id="gm-merge-with" type="number" min="1" style="width:4em"></label>
  <button id="gm-merge" type="button">合并</button></div>
<ol style="margin:4px 0;padding-left:18px;max-width:300px">
<li>粘贴 API 密钥（规划员）并点“保存”：只保存在本浏览器标签页 (sessionStorage)，关闭即清除。</li>
<li>左上工具栏“画线”：沿所画的线拆分它穿过的网格。</li>
<li>“画多边形”：用它替换“网格#”中网格的边界（留空则替换与之重叠最多的网格），
建筑按大部分面积归属。</li>
<li>点击建筑可选中/取消，填写目标“网格#”后点“把选中建筑移入”（只能移到相邻网格）。</li>
<li>点击方案网格会把它的编号填入“网格#”。每次调整后页面重新加载，显示重新计算的方案、提示和指标。</li>
</ol>
<div id="gm-status" role="status"></div>
</details>
"""


class PlanEditor(JSCSSMixin, MacroElement):
    """Calls the editor's JavaScript (layers/static/plan_edit.js, served by gridmap) with
    this page's maps, layers and plan."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        gridmapPlanEditor({{ this.map }}, {{ this.grids }}, {{ this.buildings }},
                          {{ this.drawn }}, {{ this.plan_id|tojson }},
                          {{ this.key_name|tojson }}, {{ this.color|tojson }},
                          {{ this.version|tojson }});
        {% endmacro %}
    """)

    def __init__(self, *, map_: folium.Map, grids: folium.GeoJson, buildings: folium.GeoJson,
                 drawn: folium.FeatureGroup, plan_id: int, version: int) -> None:
        super().__init__()
        self._name = "PlanEditor"
        self.default_js, self.default_css = [("gridmap_plan_edit", PLAN_EDIT_JS)], []
        self.map, self.grids = map_.get_name(), grids.get_name()
        self.buildings, self.drawn = buildings.get_name(), drawn.get_name()
        self.plan_id, self.key_name, self.color = int(plan_id), KEY_STORAGE, SELECTED_COLOR
        self.version = int(version)


def buildings_layer(buildings: gpd.GeoDataFrame) -> folium.GeoJson:
    """Every building of the plan (EPSG:4490), thin outlines, clickable to select."""
    frame = buildings.assign(popup=page.popup_html(
        buildings, (Attribute("code", "建筑编码"), Attribute("households", "户数", "户"),
                    Attribute("seq", "方案网格#"))))
    data = page.feature_collection(frame, ["code", "seq", "popup"])
    return folium.GeoJson(data, name="建筑 (点击选中) buildings", style_function=lambda _: {
        "color": "#555555", "weight": 1, "fillColor": "#ffffff", "fillOpacity": 0.4})


def add_editor(right: folium.Map, grids: folium.GeoJson, buildings: gpd.GeoDataFrame,
               plan_id: int, version: int) -> None:
    """Draw toolbar (split line, new boundary), building selection and the editor panel on
    the proposed map ``right``; edits are sent as changes of plan ``version``."""
    drawn = folium.FeatureGroup(name="绘制 drawn", control=False)
    drawn.add_to(right)
    layer = buildings_layer(buildings)
    layer.add_to(right)
    Draw(feature_group=drawn, position="topleft", show_geometry_on_click=False,
         draw_options={"polyline": {"shapeOptions": {"color": "#1f78b4", "weight": 3}},
                       "polygon": {"allowIntersection": False, "showArea": False,
                                   "shapeOptions": {"color": "#1f78b4"}},
                       "rectangle": False, "circle": False, "marker": False,
                       "circlemarker": False},
         edit_options={"edit": False, "remove": False}).add_to(right)
    right.add_child(page.Panel(PANEL_HTML, position="topright", css_class="gm-panel gm-editor"))
    right.add_child(PlanEditor(map_=right, grids=grids, buildings=layer, drawn=drawn,
                               plan_id=plan_id, version=version))
