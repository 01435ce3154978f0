"""Buildings of the demo district: footprints on a lattice, compounds, addresses, households.

Local metres (see ``layout``). Every building sits inside one lattice slot of ``SLOT`` metres,
with margins that keep it clear of its neighbours and of the lanes (which run on slot edges),
so buildings never overlap each other or the network by construction.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from gis.demo import layout, names

SLOT = (50.0, 30.0)  # lattice pitch (x, y) in metres
TARGET_HOUSEHOLDS = 25_000
# footprints relative to the slot origin: (x0, y0, x1, y1) per building of the slot
FOOTPRINTS = {
    "walkup": [(5.0, 4.0, 45.0, 16.0)],  # 多层板楼 40 m × 12 m
    "highrise": [(12.0, 2.0, 38.0, 20.0)],  # 高层点式 26 m × 18 m
    "lowrise": [(4.0, 4.0, 22.0, 14.0), (27.0, 4.0, 45.0, 14.0)],  # 平房/自建房
    "special": [(3.0, 3.0, 47.0, 21.0)],
}
STYLE_P = {"walkup": 0.55, "lowrise": 0.25, "highrise": 0.2}
USE_OF_ROLE = {"school": "school", "hospital": "hospital", "market": "commercial",
               "commercial": "commercial"}


def compounds(rng: np.random.Generator, cells: gpd.GeoDataFrame,
              streets: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per block: compound name, building style, address street and door number."""
    out = pd.DataFrame({"cell_id": cells["cell_id"], "role": cells["role"]})
    # fixed shares, shuffled: every seed gets the same mix of old and new compounds
    counts = np.round(np.array(list(STYLE_P.values())) * len(out)).astype(int)
    styles = rng.permutation(np.repeat(list(STYLE_P), counts + 1)[:len(out)])
    out["style"] = np.where(out["role"] == "compound", styles, "special")
    heads = rng.choice(names.COMPOUND_HEADS, size=len(out), replace=False)
    tails = rng.choice(names.COMPOUND_TAILS, size=len(out))
    # no "文苑苑": a head that already ends like a tail takes 小区
    tails = np.where(np.isin([h[-1] for h in heads], ["苑", "园"]), "小区", tails)
    out["compound"] = np.where(out["role"] == "compound",
                               np.char.add(heads.astype(str), tails.astype(str)),
                               cells["label"].fillna(""))
    gates = [_gate(cell, streets) for cell in cells["cell"]]  # ~40 blocks
    out["street"] = [g[0] for g in gates]
    out["number"] = [g[1] for g in gates]
    return out


def _gate(cell: Polygon, streets: gpd.GeoDataFrame) -> tuple[str, int]:
    """The street a block's gate opens on (a main street along its edge if any, the nearest
    to its centre) and the door number: even on one side, odd on the other, rising along the
    street from its west (or south) end, one number per 8 m of frontage."""
    near = streets[shapely.distance(np.asarray(streets.geometry), cell) < 1.0]
    main = near[near["kind"] == "main"]
    pick = main if len(main) else near
    centre = cell.centroid
    best = pick.iloc[int(np.argmin(shapely.distance(np.asarray(pick.geometry), centre)))]
    ends = shapely.get_coordinates(best.geometry)
    start = ends[np.lexsort((ends[:, 1], ends[:, 0]))[0]]
    direction = ends[np.lexsort((ends[:, 1], ends[:, 0]))[-1]] - start
    direction = direction / np.hypot(*direction)
    offset = np.array([centre.x, centre.y]) - start
    along = float(offset @ direction)
    left = direction[0] * offset[1] - direction[1] * offset[0] > 0
    return str(best["name"]), 2 * int(along // 16) + (1 if left else 2)


def _slots(rng: np.random.Generator, styles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate footprints over the whole lattice: (boxes, slot (i, j)) for every style."""
    sx, sy = SLOT
    grid_i, grid_j = np.meshgrid(np.arange(int(layout.WIDTH // sx)),
                                 np.arange(int(layout.HEIGHT // sy)))
    i, j = grid_i.ravel(), grid_j.ravel()
    boxes, keys = [], []
    for style in np.unique(styles):
        for fp_index, (x0, y0, x1, y1) in enumerate(FOOTPRINTS[style]):
            shift = rng.uniform(-1.5, 1.5, size=i.size)
            b = shapely.box(i * sx + x0 + shift, j * sy + y0, i * sx + x1 + shift, j * sy + y1)
            boxes.append(b)
            keys.append(np.c_[i, j, np.full(i.size, fp_index),
                              np.full(i.size, list(FOOTPRINTS).index(style))])
    return np.concatenate(boxes), np.concatenate(keys)


def make_buildings(rng: np.random.Generator, cells: gpd.GeoDataFrame, comp: pd.DataFrame, *,
                   households: int = TARGET_HOUSEHOLDS) -> gpd.GeoDataFrame:
    """Building footprints (local metres) with compound, address, floors, use, and about
    ``households`` households in all."""
    boxes, keys = _slots(rng, comp["style"].to_numpy())
    inner = shapely.buffer(np.asarray(cells.geometry), -2.0)
    tree = shapely.STRtree(inner)
    b_idx, c_idx = tree.query(boxes, predicate="within")
    style_names = list(FOOTPRINTS)
    matches = comp["style"].to_numpy()[c_idx] == np.array(style_names)[keys[b_idx, 3]]
    b_idx, c_idx = b_idx[matches], c_idx[matches]
    i, j = keys[b_idx, 0], keys[b_idx, 1]
    style = comp["style"].to_numpy()[c_idx]
    sparse = (style == "special") | (style == "highrise")  # towers need wide spacing
    keep = ~sparse | ((i % 2 == 0) & (j % 2 == 0))
    b_idx, c_idx, i, j = b_idx[keep], c_idx[keep], i[keep], j[keep]
    frame = gpd.GeoDataFrame({
        "cell_id": comp["cell_id"].to_numpy()[c_idx],
        "community_code": cells["community_code"].to_numpy()[c_idx],
        "compound": comp["compound"].to_numpy()[c_idx],
        "style": comp["style"].to_numpy()[c_idx],
        "role": comp["role"].to_numpy()[c_idx],
        "i": i, "j": j}, geometry=boxes[b_idx])
    frame = frame.sort_values(["cell_id", "j", "i"], ascending=[True, False, True])
    frame = frame.reset_index(drop=True)
    frame["seq"] = frame.groupby("cell_id").cumcount() + 1
    doors = comp.set_index("cell_id").loc[frame["cell_id"], ["street", "number"]]
    frame["address"] = (doors["street"].to_numpy() + doors["number"].astype(str).to_numpy()
                        + "号" + frame["seq"].astype(str) + "栋")
    frame["code"] = [f"{names.SUBDISTRICT_CODE[:9]}B{n:05d}" for n in range(1, len(frame) + 1)]
    _floors_and_households(rng, frame, households)
    return frame


def _floors_and_households(rng: np.random.Generator, frame: gpd.GeoDataFrame,
                           target: int) -> None:
    """Floors, units, use and households (in place); households sum to about ``target``."""
    n = len(frame)
    style = frame["style"].to_numpy()
    floors = np.select(
        [style == "walkup", style == "highrise", style == "lowrise"],
        [rng.choice([4, 5, 6, 7], n, p=[0.1, 0.3, 0.5, 0.1]), rng.integers(11, 33, n),
         rng.choice([1, 2, 3], n, p=[0.4, 0.45, 0.15])],
        rng.integers(2, 6, n))
    units = np.select([style == "walkup", style == "highrise"],
                      [rng.integers(1, 3, n), rng.integers(1, 3, n)], 1)
    doors = np.select([style == "walkup", style == "highrise"], [2, rng.integers(2, 5, n)],
                      0)
    capacity = np.where(style == "lowrise", rng.integers(1, 4, n), floors * units * doors)
    use = np.where(style == "special", frame["role"].map(USE_OF_ROLE).fillna("public"),
                   "residential")
    ancillary = (style != "special") & (rng.random(n) < 0.04)  # 配电房、物业用房、车库
    use = np.where(ancillary, "ancillary", use)
    capacity = np.where(use == "residential", capacity, 0)
    occupancy = min(0.97, target / capacity.sum())
    frame["floors"] = np.where(ancillary, 1, floors)
    frame["units"] = np.maximum(units, 1)
    frame["use"] = use
    frame["capacity"] = capacity
    frame["households"] = rng.binomial(capacity, occupancy)
