"""Manual redraw on the workbench's proposed map: Leaflet.draw (folium.plugins.Draw) and
building selection, posting edits to ``POST /api/v1/plans/{id}/edits``.

A drawn line splits the grid it crosses, a drawn polygon replaces the boundary of the grid
number in the panel (or of the grid it overlaps most), clicked buildings move to the grid
number in the panel, and two grid numbers merge. After each edit the page reloads and shows
the recomputed plan, flags and metrics. Each edit sends ``If-Match`` with the plan version
the page shows, so an edit made on a plan someone else changed since is refused (412) with
a prompt to reload. Writes go through ``gm.send`` (layers/shell.py): the login cookie and the
page's CSRF token authorise them; the page never asks for or keeps an API key.
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
PLAN_EDIT_JS = f"{assets.STATIC}/gridmap/plan_edit.js"

PANEL_HTML = """
<details open id="gm-editor"><summary><b>手工调整</b></summary>
<div><label>网格# <input id="gm-seq" type="number" min="1" style="width:4em"></label>
  <button id="gm-move" type="button">把选中建筑移入</button>
  <span id="gm-selected">已选 0 栋</span></div>
<div><label>与网格# <input id="gm-merge-with" type="number" min="1" style="width:4em"></label>
  <button id="gm-merge" type="button">合并</button></div>
<details><summary>操作说明</summary><ol style="margin:4px 0;padding-left:18px;max-width:260px">
<li>左上工具栏“画线”：沿所画的线拆分它穿过的网格。</li>
<li>“画多边形”：用它替换“网格#”中网格的边界（留空则替换与之重叠最多的网格），
建筑按大部分面积归属。</li>
<li>点击建筑可选中/取消，填写目标“网格#”后点“把选中建筑移入”（只能移到相邻网格）。</li>
<li>点击方案网格会把它的编号填入“网格#”。每次调整后页面重新加载；“撤销”退回上一步。</li>
</ol></details>
<div id="gm-status" role="status"></div>
</details>
"""

_TIP = {"start": "单击开始画线", "cont": "单击继续画线", "end": "单击最后一点结束画线"}
DRAW_LOCAL: dict = {
    "draw": {
        "toolbar": {
            "actions": {"title": "取消绘制", "text": "取消"},
            "finish": {"title": "完成绘制", "text": "完成"},
            "undo": {"title": "删除最后画的点", "text": "删除最后一点"},
            "buttons": {"polyline": "画线：沿线拆分网格", "polygon": "画多边形：替换网格边界",
                        "rectangle": "画矩形", "circle": "画圆", "marker": "放置标记",
                        "circlemarker": "放置圆点"}},
        "handlers": {
            "circle": {"tooltip": {"start": "按住拖动画圆"}, "radius": "半径"},
            "circlemarker": {"tooltip": {"start": "单击地图放置圆点"}},
            "marker": {"tooltip": {"start": "单击地图放置标记"}},
            "polygon": {"tooltip": {"start": "单击开始画多边形", "cont": "单击继续画多边形",
                                    "end": "单击第一个点闭合多边形"}},
            "polyline": {"error": "<strong>错误：</strong>边线不能交叉！", "tooltip": _TIP},
            "rectangle": {"tooltip": {"start": "按住拖动画矩形"}},
            "simpleshape": {"tooltip": {"end": "松开鼠标完成绘制"}}}},
    "edit": {
        "toolbar": {
            "actions": {"save": {"title": "保存修改", "text": "保存"},
                        "cancel": {"title": "取消编辑，放弃所有修改", "text": "取消"},
                        "clearAll": {"title": "清除全部图形", "text": "全部清除"}},
            "buttons": {"edit": "编辑图形", "editDisabled": "没有可编辑的图形",
                        "remove": "删除图形", "removeDisabled": "没有可删除的图形"}},
        "handlers": {
            "edit": {"tooltip": {"text": "拖动控制点或标记以编辑图形",
                                 "subtext": "点“取消”撤销修改"}},
            "remove": {"tooltip": {"text": "单击图形将其删除"}}}},
}
"""Leaflet.draw's texts in Chinese (its L.drawLocal): set before the toolbar is built, which
reads them when it is created."""


class DrawLocale(MacroElement):
    """Sets ``L.drawLocal``; added to the map before folium's Draw so it runs first."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.drawLocal = {{ this.local|tojson }};
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "DrawLocale"
        self.local = DRAW_LOCAL


class PlanEditor(JSCSSMixin, MacroElement):
    """Calls the editor's JavaScript (layers/static/plan_edit.js, served by gridmap) with
    this page's maps, layers and plan."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        gridmapPlanEditor({{ this.map }}, {{ this.grids }}, {{ this.buildings }},
                          {{ this.drawn }}, {{ this.plan_id|tojson }},
                          {{ this.color|tojson }}, {{ this.version|tojson }});
        {% endmacro %}
    """)

    def __init__(self, *, map_: folium.Map, grids: folium.GeoJson, buildings: folium.GeoJson,
                 drawn: folium.FeatureGroup, plan_id: int, version: int) -> None:
        super().__init__()
        self._name = "PlanEditor"
        self.default_js, self.default_css = [("gridmap_plan_edit", PLAN_EDIT_JS)], []
        self.map, self.grids = map_.get_name(), grids.get_name()
        self.buildings, self.drawn = buildings.get_name(), drawn.get_name()
        self.plan_id, self.color, self.version = int(plan_id), SELECTED_COLOR, int(version)


def buildings_layer(buildings: gpd.GeoDataFrame) -> folium.GeoJson:
    """Every building of the plan (EPSG:4490), thin outlines, clickable to select."""
    frame = buildings.assign(popup=page.popup_html(
        buildings, (Attribute("code", "建筑编码"), Attribute("households", "户数", "户"),
                    Attribute("seq", "方案网格#"))))
    data = page.feature_collection(frame, ["code", "seq", "popup"])
    return folium.GeoJson(data, name="建筑（点击选中）", style_function=lambda _: {
        "color": "#555555", "weight": 1, "fillColor": "#ffffff", "fillOpacity": 0.4})


def add_editor(right: folium.Map, grids: folium.GeoJson, buildings: gpd.GeoDataFrame,
               plan_id: int, version: int) -> None:
    """Draw toolbar (split line, new boundary; Chinese texts, metres), building selection and
    the editor panel on the proposed map ``right``; edits are sent as changes of ``version``."""
    drawn = folium.FeatureGroup(name="绘制", control=False)
    drawn.add_to(right)
    layer = buildings_layer(buildings)
    layer.add_to(right)
    right.add_child(DrawLocale())
    Draw(feature_group=drawn, position="topleft", show_geometry_on_click=False,
         draw_options={"polyline": {"shapeOptions": {"color": "#1f78b4", "weight": 3},
                                    "metric": True, "feet": False, "nautic": False},
                       "polygon": {"allowIntersection": False, "showArea": False,
                                   "metric": True, "feet": False, "nautic": False,
                                   "shapeOptions": {"color": "#1f78b4"}},
                       "rectangle": False, "circle": False, "marker": False,
                       "circlemarker": False},
         edit_options={"edit": False, "remove": False}).add_to(right)
    right.add_child(page.Panel(PANEL_HTML, position="topright", css_class="gm-panel gm-editor"))
    right.add_child(PlanEditor(map_=right, grids=grids, buildings=layer, drawn=drawn,
                               plan_id=plan_id, version=version))
