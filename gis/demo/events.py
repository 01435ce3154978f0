"""Six months of events (工单) in the demo district, with their state history (event_log).

Local metres (see ``layout``); ``geometry`` is None for events reported only by address.
Times are timezone-aware (Asia/Shanghai) and end on a fixed date so the data never depend on
the day they are generated.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from gis.demo import names
from gis.demo.people import or_none, person_names, phones, surnames
from gis.events.categories import CATEGORIES

START = pd.Timestamp("2026-05-01", tz="Asia/Shanghai")
END = pd.Timestamp("2026-11-01", tz="Asia/Shanghai")  # exclusive: events end 2026-10-31
N_EVENTS = 20_000
CATEGORY_P = {"sanitation": 0.22, "street_vending": 0.13, "illegal_construction": 0.06,
              "noise": 0.1, "facility_damage": 0.1, "dispute": 0.08, "safety_hazard": 0.07,
              "parking": 0.13, "greening": 0.04, "property_service": 0.05, "other": 0.02}
CHANNEL_P = {"12345": 0.38, "patrol": 0.32, "resident_app": 0.2, "city_management": 0.1}
TEXTS = {"sanitation": "垃圾未及时清运，有异味", "street_vending": "流动摊贩占道经营，影响通行",
         "illegal_construction": "楼顶疑似违章搭建彩钢棚", "noise": "夜间施工噪音扰民",
         "facility_damage": "路灯不亮/井盖破损", "dispute": "邻里因漏水发生纠纷",
         "safety_hazard": "楼道堆放杂物、电动车飞线充电", "parking": "机动车乱停放堵塞消防通道",
         "greening": "绿化带树木倒伏需修剪", "property_service": "小区物业管理不到位",
         "other": "其他问题反映"}
CHAIN = ("reported", "accepted", "dispatched", "in_progress", "resolved", "verified", "closed")
ACTOR = {"accepted": "dispatcher", "dispatched": "dispatcher", "in_progress": "grid_worker",
         "resolved": "grid_worker", "verified": "supervisor", "closed": "dispatcher",
         "returned": "grid_worker", "reopened": "resident", "needs_location": "dispatcher"}
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _times(rng: np.random.Generator, n: int, start: pd.Timestamp,
           end: pd.Timestamp) -> pd.DatetimeIndex:
    """Report times in [start, end): more in summer evenings, fewer at night (Asia/Shanghai)."""
    days = (end - start).days
    day = rng.choice(days, n, p=_day_weights(days))
    hour_w = np.array([1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 7, 8, 9, 9, 9, 9, 10, 11, 10, 7,
                       4, 2], dtype=float)
    hour = rng.choice(24, n, p=hour_w / hour_w.sum())
    seconds = np.sort(day * 86400 + hour * 3600 + rng.integers(0, 3600, n))
    return start + pd.to_timedelta(seconds, unit="s")


def _day_weights(days: int) -> np.ndarray:
    t = np.arange(days)
    w = 1 + 0.25 * np.sin((t - 30) / days * 2 * np.pi) + 0.1 * ((t % 7) < 2)
    return w / w.sum()


def _locations(rng: np.random.Generator, kind: np.ndarray, buildings: gpd.GeoDataFrame,
               edges: gpd.GeoDataFrame, area: Polygon) -> tuple:
    """(points, address) per event: near a building, on a street, outside, or none."""
    n = kind.size
    b = rng.choice(len(buildings), n, p=_building_weights(buildings))
    near = shapely.centroid(np.asarray(buildings.geometry)[b])
    near = _points(shapely.get_x(near) + rng.normal(0, 12, n),
                   shapely.get_y(near) + rng.normal(0, 12, n))
    lengths = edges["length_m"].to_numpy() * np.where(edges["kind"].isin(["main", "secondary"]),
                                                      3.0, 1.0)
    e = rng.choice(len(edges), n, p=lengths / lengths.sum())
    on_street = shapely.line_interpolate_point(np.asarray(edges.geometry)[e], rng.random(n),
                                               normalized=True)
    angle, dist = rng.uniform(0, 2 * np.pi, n), rng.uniform(6000, 15000, n)
    centre = area.centroid
    outside = _points(centre.x + dist * np.cos(angle), centre.y + dist * np.sin(angle))
    geom = np.select([kind == "building", kind == "street", kind == "outside"],
                     [near, on_street, outside], np.array(None, dtype=object))
    # events on the boundary streets: a step inside, so exactly one grid covers each
    inner = area.buffer(-3.0)
    stray = (kind != "outside") & (kind != "address") & ~shapely.contains(inner, geom)
    geom[stray] = shapely.get_point(shapely.shortest_line(geom[stray], inner), -1)
    address = np.select([kind == "street"], [edges["name"].fillna("").to_numpy()[e]],
                        buildings["address"].to_numpy()[b])
    address = or_none(kind != "outside", address)
    address = np.where(kind == "address", _variants(rng, address), address)
    return geom, address


def _points(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # arrays in, an array out (the stubs' overload for array-likes also allows one Point)
    return cast(np.ndarray, shapely.points(x, y))


def _building_weights(buildings: gpd.GeoDataFrame) -> np.ndarray:
    w = buildings["households"].to_numpy() + 2.0 + 30.0 * (buildings["use"] == "commercial")
    return w / w.sum()


def _variants(rng: np.random.Generator, address: np.ndarray) -> np.ndarray:
    """Addresses as people write them: full-width digits, 幢 or 号楼 for 栋, the city prefix."""
    s = pd.Series(address, dtype=object).fillna("")
    way = rng.integers(0, 5, s.size)
    s = s.where(way != 1, s.str.translate(_FULLWIDTH))
    s = s.where(way != 2, s.str.replace("栋", "幢", regex=False))
    s = s.where(way != 3, s.str.replace("栋", "号楼", regex=False))
    s = s.where(way != 4, "连云港市海州区" + s)
    return s.to_numpy()


def _status(rng: np.random.Generator, reported: pd.DatetimeIndex,
            located: np.ndarray, end: pd.Timestamp) -> np.ndarray:
    """Most old events closed, recent ones spread along the workflow, a few overdue."""
    age_days = (end - reported).total_seconds().to_numpy() / 86400
    n = age_days.size
    old = rng.choice(["closed", "verified", "resolved", "in_progress", "returned", "reopened",
                      "dispatched"], n, p=[0.9, 0.03, 0.015, 0.025, 0.01, 0.01, 0.01])
    recent = rng.choice(list(CHAIN), n, p=[0.12, 0.1, 0.15, 0.2, 0.13, 0.1, 0.2])
    status = np.where(age_days > 7, old, recent)
    return np.where(located, status, "needs_location")


def make_events(rng: np.random.Generator, buildings: gpd.GeoDataFrame, edges: gpd.GeoDataFrame,
                area: Polygon, *, n: int = N_EVENTS,
                period: tuple[pd.Timestamp, pd.Timestamp] = (START, END)) -> gpd.GeoDataFrame:
    """``n`` events (local metres) in ``area`` (the subdistrict) and a few far outside,
    reported within ``period`` and sorted by report time; codes E320706013nnnnnn."""
    category = rng.choice(list(CATEGORY_P), n, p=list(CATEGORY_P.values()))
    channel = rng.choice(list(CHANNEL_P), n, p=list(CHANNEL_P.values()))
    kind = rng.choice(["building", "street", "address", "outside"], n,
                      p=[0.62, 0.335, 0.04, 0.005])
    kind = np.where((kind == "building") & np.isin(category, ["street_vending", "parking"]),
                    "street", kind)
    geom, address = _locations(rng, kind, buildings, edges, area)
    reported = _times(rng, n, *period)
    limit = pd.Series({c.code: c.time_limit_hours for c in CATEGORIES})[category].to_numpy()
    status = _status(rng, reported, kind != "address", period[1])
    done = np.isin(status, ["closed", "verified"])  # verified: checked, not yet closed
    took = pd.to_timedelta(limit * rng.beta(2, 3, n) * 1.4 * 3600, unit="s")
    public = np.isin(channel, ["12345", "resident_app"])
    frame = gpd.GeoDataFrame({
        "code": [f"E{names.SUBDISTRICT_CODE[:9]}{i:06d}" for i in range(1, n + 1)],
        "category": category, "channel": channel, "status": status,
        "description": (pd.Series(address).fillna("") + pd.Series(category).map(TEXTS)).to_numpy(),
        "priority": np.where(category == "safety_hazard", 1, rng.choice([2, 3], n, p=[.8, .2])),
        "address": address,
        "reporter_name": or_none(public, person_names(rng, surnames(rng, n),
                                                      rng.random(n) < 0.5)),
        "reporter_phone": or_none(public, phones(rng, n)),
        "source_crs": or_none((channel == "resident_app") & (kind != "address")
                              & (rng.random(n) < 0.6), "gcj02"),
        "reported_at": reported, "due_at": reported + pd.to_timedelta(limit, unit="h"),
        "closed_at": pd.Series(reported + took).where(status == "closed"),
        "finished_at": pd.Series(reported + took).where(done),
        "satisfaction": or_none(done & public, rng.choice(np.arange(1, 6), n,
                                                          p=[.02, .03, .1, .35, .5])),
        "external_id": or_none(channel == "12345", np.char.add(
            "12345-", rng.integers(10**9, 10**10, n).astype(str))),
        "region_code": names.SUBDISTRICT_CODE,  # all taken by the 街道's call centre
        "kind": kind}, geometry=geom)
    overdue = ~done & (status != "needs_location") & (frame["due_at"] < period[1])
    frame["escalation_level"] = np.where(overdue & (rng.random(n) < 0.5), "community", "grid")
    return frame


def make_event_log(rng: np.random.Generator, events: pd.DataFrame, *,
                   end: pd.Timestamp = END) -> pd.DataFrame:
    """Every state change of every event (event = row position in ``events``)."""
    status = events["status"].to_numpy()
    chain_pos = pd.Series(range(len(CHAIN)), index=list(CHAIN))
    base = np.select([status == "returned", status == "reopened", status == "needs_location"],
                     [3, len(CHAIN), 0], chain_pos.reindex(status).fillna(0).to_numpy() + 1)
    extra = np.isin(status, ["returned", "reopened", "needs_location"]).astype(int)
    steps = (base + extra).astype(int)
    ev = np.repeat(np.arange(len(events)), steps)
    k = np.arange(ev.size) - np.repeat(np.cumsum(steps) - steps, steps)
    last = k == steps[ev] - 1
    to = np.where(k < len(CHAIN), np.array(CHAIN)[np.minimum(k, len(CHAIN) - 1)], "")
    to = np.where(last & extra[ev].astype(bool), status[ev], to)
    frm = np.r_[None, to[:-1]].astype(object)
    frm[k == 0] = None
    reported = pd.DatetimeIndex(events["reported_at"])[ev]
    finished = pd.DatetimeIndex(events["finished_at"])[ev]
    open_end = reported + (end - reported) * rng.uniform(0.1, 0.9, len(events))[ev]
    last_at = pd.DatetimeIndex(pd.Series(finished).fillna(pd.Series(open_end)))
    frac = np.where(steps[ev] > 1, k / np.maximum(steps[ev] - 1, 1), 0.0)
    at: pd.DatetimeIndex = reported + (last_at - reported) * frac
    actor = pd.Series(to).map(ACTOR).fillna("").to_numpy()
    actor = np.where(k == 0, np.char.add("channel:", events["channel"].to_numpy()[ev].astype(
        str)), actor)
    return pd.DataFrame({"event": ev, "from_status": frm, "to_status": to, "actor": actor,
                         "at": at, "note": None})


def reference_time() -> dt.datetime:
    """The fixed 'now' of the demo data (end of the event period)."""
    return END.to_pydatetime()
