"""The layer catalogue: what each map layer shows, where its data comes from, how it looks.

One entry per layer: its source (a gis/ read service), the attributes shown in popups (field,
Chinese label, unit), the zoom range it is drawn at, its Leaflet path style, its legend and
Chinese label, whether anonymous callers may see it and which vector-tile layer serves it.
Builders in layers/<noun>.py and the tile service read this table instead of repeating it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from gis.grids.household_rules import LoadRules


@dataclass(frozen=True)
class Attribute:
    """A property shown to people: machine field name, Chinese label, optional unit."""

    field: str
    label: str
    unit: str = ""


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: a fill swatch, a line, or a round icon with a character."""

    label: str
    color: str
    kind: str = "fill"  # fill | line | icon
    symbol: str = ""


@dataclass(frozen=True)
class Layer:
    """What one map layer shows (geometry in EPSG:4490, drawn as lon/lat)."""

    key: str
    label: str
    source: str
    geometry: str
    attributes: tuple[Attribute, ...]
    min_zoom: int
    max_zoom: int
    style: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    legend: tuple[LegendEntry, ...] = ()
    public: bool = True
    tile: str | None = None


GRID_CODE_MIN_ZOOM = 17
"""Grid labels show the name from the layer's min zoom and the (long) code from this one."""

HOUSEHOLD_BREAKS = (300, 400, 500)
"""Class limits in 户: a grid of 300–500 households is the usual norm for urban communities."""
HOUSEHOLD_CLASSES = (
    LegendEntry("少于 300 户（偏小，可合并）", "#6baed6"),
    LegendEntry("300–399 户", "#fff7bc"),
    LegendEntry("400–500 户", "#fec44f"),
    LegendEntry("超过 500 户（偏大，宜拆分）", "#e6550d"),
)
NOT_JUDGED = LegendEntry("不按户数评价（商业/工业/特殊网格，专题网格）", "#d9d9d9")
"""Grids no household range applies to: exempt kinds (gis.grids.household_rules) and the
thematic layers (党建/综治/民政/城管 grids are drawn by their own duties, not by 户)."""
GRID_CLASSES = (*HOUSEHOLD_CLASSES, NOT_JUDGED)
"""The grid layer's classes: HOUSEHOLD_CLASSES, then NOT_JUDGED (index 4)."""

FACILITY_TYPES = MappingProxyType({
    # type -> (Chinese name, one-character icon, colour); icons are CSS circles, no icon font
    "party_center": ("党群服务中心", "党", "#c62828"),
    "clinic": ("卫生服务站", "医", "#2e7d32"),
    "elderly_care": ("养老服务站", "老", "#6a1b9a"),
    "school": ("学校", "学", "#1565c0"),
    "kindergarten": ("幼儿园", "幼", "#ef6c00"),
    "shelter": ("应急避难场所", "避", "#00838f"),
    "emergency_supply": ("应急物资储备点", "储", "#795548"),
    "police_post": ("警务室", "警", "#283593"),
    "other": ("其他设施", "他", "#616161"),
})

_GRID_ATTRS = (
    Attribute("name", "网格名称"), Attribute("code", "网格编码"),
    Attribute("community_name", "所属社区"),
    Attribute("households", "户数", "户"), Attribute("residents", "人口", "人"),
    Attribute("area_km2", "面积", "km²"), Attribute("open_events", "未办结事件", "件"),
    Attribute("not_closed_events", "未结案事件", "件"),
    Attribute("worker_name", "网格员"), Attribute("worker_phone", "网格员电话"),
    Attribute("supervision_phone", "监督电话"),
)

LAYERS: MappingProxyType = MappingProxyType({layer.key: layer for layer in (
    Layer("grids", "网格（按户数分级）", "gis.grids.registry.list_grids", "polygon", _GRID_ATTRS,
          11, 20,
          MappingProxyType({"color": "#1f4e79", "weight": 1.5, "fillOpacity": 0.55}),
          GRID_CLASSES, public=True, tile="grids"),
    Layer("grid_labels", "网格标注（编码/名称）", "gis.grids.registry.list_grids", "point",
          (Attribute("code", "网格编码"), Attribute("name", "网格名称")), 16, 20),
    Layer("communities", "社区边界", "gis.places.regions.list_regions", "polygon",
          (Attribute("name", "社区"), Attribute("code", "社区代码")), 10, 20,
          MappingProxyType({"color": "#7b1fa2", "weight": 3, "dashArray": "8 5",
                            "fill": False}),
          (LegendEntry("社区边界", "#7b1fa2", "line"),)),
    Layer("buildings", "建筑", "gis.places.buildings.list_buildings", "polygon",
          (Attribute("address", "地址"), Attribute("compound", "小区"),
           Attribute("floors", "层数", "层"), Attribute("households", "户数", "户"),
           Attribute("residents", "人口", "人"), Attribute("grid_code", "所属网格")), 15, 20,
          MappingProxyType({"color": "#5f6368", "weight": 0.8, "fillColor": "#bdbdbd",
                            "fillOpacity": 0.8}),
          (LegendEntry("建筑", "#bdbdbd"),), public=False, tile="buildings"),
    Layer("facilities", "公共服务设施", "gis.places.facilities.list_facilities", "point",
          (Attribute("name", "名称"), Attribute("type_label", "类型"),
           Attribute("level_label", "级别"), Attribute("capacity", "容量", "人"),
           Attribute("opening_hours", "开放时间"), Attribute("address", "地址"),
           Attribute("phone", "电话")), 12, 20, MappingProxyType({}),
          tuple(LegendEntry(name, color, "icon", symbol)
                for name, symbol, color in FACILITY_TYPES.values()), tile="facilities"),
    Layer("water", "水系", "gis.places.water.list_water_areas", "polygon",
          (Attribute("name", "名称"),), 10, 20,
          MappingProxyType({"color": "#4a90c2", "weight": 1, "fillColor": "#a6cee3",
                            "fillOpacity": 0.9}),
          (LegendEntry("水系", "#a6cee3"),)),
    Layer("events", "事件（工单）", "gis.events.queries.list_events", "point",
          (Attribute("code", "事件编号"), Attribute("category", "类别"),
           Attribute("status", "状态"), Attribute("reported_at", "上报时间")), 13, 20,
          MappingProxyType({"color": "#d32f2f", "radius": 6}),
          (LegendEntry("事件", "#d32f2f", "icon", "事"),), public=False, tile="events"),
    Layer("circles", "生活服务圈（步行等时圈）", "gis.network.circles.list_service_circles",
          "polygon",
          (Attribute("name", "设施"), Attribute("minutes", "步行时间", "分钟")), 12, 20,
          MappingProxyType({"color": "#2e7d32", "weight": 1, "fillOpacity": 0.15}),
          (LegendEntry("10 分钟步行可达", "#a5d6a7"),), tile="circles"),
    Layer("plans", "网格调整方案", "gis.plans.list_plan_grids", "polygon",
          (Attribute("code", "网格编码"), Attribute("households", "户数", "户"),
           Attribute("change", "变化")), 12, 20,
          MappingProxyType({"color": "#ff6f00", "weight": 2, "dashArray": "4 4",
                            "fillOpacity": 0.1}),
          (LegendEntry("方案网格", "#ff6f00", "line"),), public=False),
)})


def get_layer(key: str) -> Layer:
    """The catalogue entry ``key`` (KeyError names the known keys)."""
    try:
        return LAYERS[key]
    except KeyError:
        raise KeyError(f"unknown layer {key!r}; known: {', '.join(LAYERS)}") from None


def grid_class(households: pd.Series, kinds: pd.Series, themes: pd.Series, *,
               exempt_kinds: tuple[str, ...] = LoadRules().exempt_kinds) -> np.ndarray:
    """Index into GRID_CLASSES: the household class of a unified grid of a checked kind,
    NOT_JUDGED (4) for exempt kinds and thematic grids."""
    judged = (themes.to_numpy() == "unified") & ~kinds.isin(exempt_kinds).to_numpy()
    return np.where(judged, household_class(households), len(HOUSEHOLD_CLASSES))


def household_class(households: pd.Series) -> np.ndarray:
    """Index into HOUSEHOLD_CLASSES for each count (<300, 300–399, 400–500, >500)."""
    counts = pd.to_numeric(households, errors="coerce").fillna(0).to_numpy()
    # right=True: bins[i-1] < n <= bins[i], so exactly 500 stays in 400–500 and only
    # more than 500 is "too big"
    low, mid, high = HOUSEHOLD_BREAKS
    return np.digitize(counts, [low - 1, mid - 1, high], right=True)
