"""A generated city (``gridmap demo --scale city``): demo-like subdistricts tiled side by side.

Each subdistrict is the demo district's generator (``district.generate``) run with its own
seed, an offset in the local frame (tiles sit ``GAP`` metres apart, so networks and boundaries
never overlap), fewer households per building and a year of events, then renamed: its own
12-digit codes, a 街道 name, six 社区 names, street, bridge and river names drawn without
repetition from ``STEM_FIRST`` × ``STEM_SECOND``. Twenty subdistricts make a district (the
real codes of 连云港市's districts and counties). Geometry in EPSG:4490, pure (no database).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.demo import grids as grids_mod
from gis.demo import layout, names, people
from gis.demo.district import DemoData, Knobs, generate

SUBDISTRICTS = 120  # 120 × ~2,530 buildings ≈ 303,000
PER_DISTRICT = 20
BLOCK = (4, 5)  # a district is 4 × 5 subdistricts; districts 3 across
GAP = 150.0  # metres between neighbouring subdistricts
HOUSEHOLDS = 9_000  # per subdistrict (the demo has 25,000): about 1.08 million in the city
EVENTS = 5_000_000  # over the city's year
PERIOD = (pd.Timestamp("2025-11-01", tz="Asia/Shanghai"),
          pd.Timestamp("2026-11-01", tz="Asia/Shanghai"))
DISTRICTS = (("320706", "海州区"), ("320703", "连云区"), ("320707", "赣榆区"),
             ("320722", "东海县"), ("320723", "灌云县"), ("320724", "灌南县"))
STEM_FIRST = tuple("海新朝华龙云青金银凤花锦瑞港通建振兴和平安康泰福永宏嘉东西南北中"
                   "长春秋文武仁德胜利光明天")
STEM_SECOND = tuple("昌浦阳华山河湖林园港城桥州台岭江源泉宁丰盛安光明庄塘湾洲亭苑溪"
                    "坊田岗堤圩滨口门营集峰海景晖荣辉")
OLD_PREFIX = names.SUBDISTRICT_CODE[:9]
SPECIAL = {"school": "实验小学", "hospital": "医院", "market": "农贸市场",
           "commercial": "商业街"}


@dataclass(frozen=True)
class Tile:
    """One subdistrict of the city: where it lies and what its names are."""

    index: int
    district_code: str  # 12 digits
    district_name: str
    code: str  # 12 digits
    name: str
    renames: dict[str, str]  # demo name → this subdistrict's (streets, communities, labels)
    offset: tuple[float, float]  # local metres


def _stems(seed: int) -> np.ndarray:
    pairs = [a + b for a in STEM_FIRST for b in STEM_SECOND if a != b]
    return np.random.default_rng(seed).permutation(np.array(pairs))


def plan(n: int = SUBDISTRICTS, seed: int = 42) -> list[Tile]:
    """The ``n`` subdistricts (1 ≤ n ≤ 120) of the city for ``seed``."""
    if not 1 <= n <= len(DISTRICTS) * PER_DISTRICT:
        raise ValueError(f"a city has 1 to {len(DISTRICTS) * PER_DISTRICT} subdistricts")
    streets = [*names.EW_MAIN, *names.NS_MAIN, *names.EW_SECONDARY, *names.NS_SECONDARY,
               names.DIAGONAL_MAIN, *names.BRIDGE_NAMES]
    street_stems, place_stems = _stems(seed), _stems(seed + 1)
    return [_tile(k, streets, street_stems[k * len(streets):(k + 1) * len(streets)],
                  place_stems[k * 8:(k + 1) * 8]) for k in range(n)]  # ≤ 120 subdistricts


def _tile(k: int, streets: list[str], street_stems: np.ndarray,
          place_stems: np.ndarray) -> Tile:
    d, j = divmod(k, PER_DISTRICT)
    district, district_name = DISTRICTS[d]
    sub_name = f"{place_stems[0]}街道"
    communities = [f"{s}社区" for s in place_stems[1:7]]
    renames = {old: stem + _suffix(old) for old, stem in zip(streets, street_stems, strict=True)}
    renames |= dict(zip(names.COMMUNITY_NAMES, communities, strict=True))
    labels = {role: label for role, (_, _, label) in _special_roles().items()}
    renames |= {labels["school"]: place_stems[0] + SPECIAL["school"],
                labels["hospital"]: place_stems[0] + SPECIAL["hospital"],
                labels["market"]: place_stems[1] + SPECIAL["market"],
                labels["commercial"]: place_stems[2] + SPECIAL["commercial"],
                names.RIVER_NAME: f"{place_stems[7]}河", names.SUBDISTRICT_NAME: sub_name,
                names.DISTRICT_NAME: district_name}
    col = (d % 3) * BLOCK[0] + j % BLOCK[0]
    row = (d // 3) * BLOCK[1] + j // BLOCK[0]
    centre_col, centre_row = (3 * BLOCK[0] - 1) / 2, (2 * BLOCK[1] - 1) / 2
    offset = ((col - centre_col) * (layout.WIDTH + GAP), (row - centre_row) * (layout.HEIGHT + GAP))
    return Tile(k, f"{district}000000", district_name, f"{district}{101 + j:03d}000", sub_name,
                renames, offset)


def _special_roles() -> dict[str, tuple[str, str, str]]:
    return {role: (role, kind, label) for role, kind, label in layout.SPECIAL_CELLS.values()}


def _suffix(street: str) -> str:
    for tail in ("大道", "大街", "桥", "路"):
        if street.endswith(tail):
            return tail
    return "路"


def districts(tiles: list[Tile]) -> gpd.GeoDataFrame:
    """Region rows of the districts the tiles fall in (EPSG:4490): each the box around its
    subdistricts, ``GAP / 2`` wider."""
    frame = pd.DataFrame({"code": [t.district_code for t in tiles],
                          "name": [t.district_name for t in tiles],
                          "x": [t.offset[0] for t in tiles], "y": [t.offset[1] for t in tiles]})
    box = frame.groupby(["code", "name"], sort=False).agg(
        x0=("x", "min"), y0=("y", "min"), x1=("x", "max"), y1=("y", "max")).reset_index()
    half = GAP / 2
    geoms = shapely.box(box["x0"] - half, box["y0"] - half, box["x1"] + layout.WIDTH + half,
                        box["y1"] + layout.HEIGHT + half)
    placed = layout.place(shapely.multipolygons(geoms, indices=np.arange(len(box))))
    return gpd.GeoDataFrame({"code": box["code"], "name": box["name"], "level": "district",
                             "parent_code": None}, geometry=placed.values, crs=4490)


def events_per_tile(total: int, n: int) -> np.ndarray:
    """``total`` events spread over ``n`` subdistricts (the first ones take the remainder)."""
    return total // n + (np.arange(n) < total % n)


def knobs(tile: Tile, events: int) -> Knobs:
    share = HOUSEHOLDS / Knobs().households
    targets = tuple(max(60, round(t * share)) for t in grids_mod.GRID_TARGET)
    return Knobs(offset=tile.offset, households=HOUSEHOLDS, grid_targets=targets,
                 events=events, period=PERIOD)


def subdistrict(tile: Tile, *, seed: int = 42, events: int) -> DemoData:
    """One subdistrict of the city: the demo generator, placed and renamed (EPSG:4490)."""
    data = generate(seed * 1000 + tile.index, knobs=knobs(tile, events))
    return _renamed(data, tile)


def _swap(values: pd.Series, renames: dict[str, str]) -> pd.Series:
    """Every demo name in ``values`` replaced by the tile's (longest first; None kept)."""
    pattern = "|".join(re.escape(k) for k in sorted(renames, key=len, reverse=True))
    out = values.astype(object).str.replace(pattern, lambda m: renames[m.group(0)], regex=True)
    return out.where(values.notna(), None)


def _recode(values: pd.Series, tile: Tile) -> pd.Series:
    """Codes with the demo subdistrict's 9-digit prefix given the tile's."""
    out = values.astype(object).str.replace(OLD_PREFIX, tile.code[:9], n=1, regex=False)
    return out.where(values.notna(), None)


def _id_numbers(values: pd.Series, district: str) -> np.ndarray:
    """ID numbers moved to ``district``'s 6-digit prefix, check digit made again."""
    body = np.char.add(district[:6], values.str.slice(6, 17).to_numpy().astype("U11"))
    digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(-1, 17) - 48
    return np.char.add(body, people.id_check_digit(digits.astype(int)))


def _regions(data: DemoData, tile: Tile) -> gpd.GeoDataFrame:
    regions = data.regions[data.regions["level"] != "district"].copy()
    sub = regions["level"] == "subdistrict"
    regions["code"] = np.where(sub, tile.code, _recode(regions["code"], tile))
    regions["name"] = np.where(sub, tile.name, _swap(regions["name"], tile.renames))
    regions["parent_code"] = np.where(sub, tile.district_code, tile.code)
    return regions


def _renamed(data: DemoData, tile: Tile) -> DemoData:
    """``data`` with the tile's codes and names (geometry already placed)."""
    rn, rc = tile.renames, (lambda s: _recode(s, tile))
    regions = _regions(data, tile)
    outline = regions.geometry[regions["level"] == "subdistrict"].iloc[0]
    water = data.water.assign(name=_swap(data.water["name"], rn))
    water["geometry"] = shapely.multipolygons(shapely.get_parts(
        shapely.intersection(water.geometry.iloc[0], outline)))
    residents = data.residents.assign(code=rc(data.residents["code"]))
    if tile.district_code[:6] != names.ID_PREFIX:
        residents["id_number"] = _id_numbers(residents["id_number"], tile.district_code)
    return DemoData(
        regions=regions, water=water,
        grids=data.grids.assign(code=rc(data.grids["code"]), name=_swap(data.grids["name"], rn),
                                community_code=rc(data.grids["community_code"])),
        workers=data.workers.assign(code=rc(data.workers["code"])),
        worker_grids=data.worker_grids,
        buildings=data.buildings.assign(
            code=rc(data.buildings["code"]), community_code=rc(data.buildings["community_code"]),
            address=_swap(data.buildings["address"], rn),
            compound=_swap(data.buildings["compound"], rn)),
        households=data.households.assign(code=rc(data.households["code"])),
        residents=residents, nodes=data.nodes,
        edges=data.edges.assign(name=_swap(data.edges["name"], rn)),
        facilities=data.facilities.assign(
            code=rc(data.facilities["code"]), name=_swap(data.facilities["name"], rn),
            address=_swap(data.facilities["address"], rn),
            community_code=rc(data.facilities["community_code"])),
        events=data.events.assign(
            code=rc(data.events["code"]), address=_swap(data.events["address"], rn),
            description=_swap(data.events["description"], rn), region_code=tile.code),
        event_log=data.event_log)
