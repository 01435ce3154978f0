"""Facilities of the demo district (党群服务中心, clinics, elderly care, schools, shelters…).

Local metres (see ``layout``). Most facilities occupy one of the small non-residential
buildings (配套用房) of a compound, so they sit where such services really are; the school,
the hospital and the shelters take whole blocks. Entrances are the nearest points of the
walking network.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.demo import names
from gis.demo.layout import Layout

# (type, level, name pattern, how many, capacity range, opening hours)
SMALL = (
    ("party_center", "compound", "{compound}党群服务站", 8, (20, 60), "周一至周五 8:30-17:30"),
    ("clinic", "community", "{community}卫生服务站", 6, (10, 30), "8:00-20:00"),
    ("elderly_care", "community", "{community}日间照料中心", 5, (30, 80), "8:00-18:00"),
    ("kindergarten", "compound", "{compound}幼儿园", 2, (120, 300), "7:30-17:30"),
    ("police_post", "community", "{community}警务室", 4, None, "24小时"),
    ("emergency_supply", "community", "{community}应急物资储备点", 3, None, "24小时"),
)


def _pick(rng: np.random.Generator, pool: gpd.GeoDataFrame, n: int,
          level: str) -> gpd.GeoDataFrame:
    """``n`` buildings of ``pool``, no two in the same compound (or community)."""
    key = "compound" if level == "compound" else "community_code"
    shuffled = pool.iloc[rng.permutation(len(pool))].drop_duplicates(key)
    return shuffled.iloc[:n].sort_index()


def _row(ftype: str, level: str, name: str, geom: object, bld: pd.Series | None,
         community: str | None, capacity: int | None, hours: str | None) -> dict:
    return {"type": ftype, "level": level, "name": name, "geometry": geom,
            "address": bld["address"] if bld is not None else None,
            "community_code": community, "capacity": capacity, "opening_hours": hours}


def make_facilities(rng: np.random.Generator, layout: Layout, buildings: gpd.GeoDataFrame,
                    edges: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Facilities (local metres) with entrances; also the building rows they now occupy."""
    communities = layout.communities.set_index("code")
    pool = buildings[buildings["use"] == "ancillary"]
    rows, used = [], []
    # one 社区党群服务中心 per community: the 配套用房 nearest the community's centre
    for code, area in communities.geometry.items():  # six communities
        mine = pool[pool["community_code"] == code]
        best = mine.index[np.argmin(shapely.distance(np.asarray(mine.geometry),
                                                     area.centroid))]
        used.append(best)
        rows.append(_row("party_center", "community",
                         f"{communities.loc[code, 'name']}党群服务中心", buildings.geometry[best],
                         buildings.loc[best], code, 200, "周一至周日 8:30-20:30"))
    pool = pool.drop(index=used)
    for ftype, level, pattern, n, cap, hours in SMALL:  # six kinds of facility
        chosen = _pick(rng, pool, n, level)
        pool = pool.drop(index=chosen.index)
        used += list(chosen.index)
        for idx, bld in chosen.iterrows():  # a handful each
            label = pattern.format(compound=bld["compound"],
                                   community=communities.loc[bld["community_code"], "name"])
            capacity = int(rng.integers(*cap)) if cap else None
            geom = bld.geometry if ftype in ("clinic", "elderly_care", "kindergarten") \
                else bld.geometry.centroid
            rows.append(_row(ftype, level, label, geom, buildings.loc[idx],
                             bld["community_code"], capacity, hours))
    rows += _block_facilities(layout, buildings)
    frame = gpd.GeoDataFrame(rows, geometry="geometry")
    frame["capacity"] = frame["capacity"].astype("Int64")
    frame["code"] = [f"F{names.SUBDISTRICT_CODE[:9]}{i:04d}" for i in range(1, len(frame) + 1)]
    frame["phone"] = np.char.add("0518-858", np.char.zfill(
        rng.integers(0, 100_000, len(frame)).astype(str), 5))
    frame["entrance"] = entrances(np.asarray(frame.geometry), edges)
    return frame, np.asarray(used)


def _block_facilities(layout: Layout, buildings: gpd.GeoDataFrame) -> list[dict]:
    """The 街道党群服务中心, the school, the hospital and two shelters (whole blocks)."""
    cells = layout.cells.set_index("role")
    first = buildings.drop_duplicates("cell_id").set_index("cell_id")
    out = []
    specs = (("commercial", "party_center", "subdistrict", f"{names.SUBDISTRICT_NAME}党群服务中心",
              300, "周一至周日 8:30-20:30", False),
             ("school", "school", "subdistrict", None, 1800, "7:30-17:30", True),
             ("hospital", "clinic", "district", None, 400, "24小时", True),
             ("school", "shelter", "subdistrict", "苍梧实验小学操场应急避难场所", 3000,
              "应急时开放", True),
             ("market", "shelter", "community", "朐阳农贸市场广场应急避难场所", 1500,
              "应急时开放", True))
    for role, ftype, level, label, capacity, hours, whole in specs:
        cell = cells.loc[role]
        bld = first.loc[cell["cell_id"]]
        geom = cell.geometry if whole else buildings.geometry[
            buildings["cell_id"] == cell["cell_id"]].iloc[0]
        out.append(_row(ftype, level, label or cell["label"], geom, bld,
                        cell["community_code"], capacity, hours))
    return out


def entrances(geoms: np.ndarray, edges: gpd.GeoDataFrame) -> np.ndarray:
    """Nearest point of the network (any metric CRS) to each geometry: its entrance."""
    lines = np.asarray(edges.geometry)
    nearest = shapely.STRtree(lines).query_nearest(geoms, all_matches=False)[1]
    return shapely.get_point(shapely.shortest_line(geoms, lines[nearest]), -1)
