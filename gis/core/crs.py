"""Coordinate reference systems: storage SRID, metric CRS choice, GCJ-02 and BD-09.

Storage is CGCS2000 (EPSG:4490), which equals WGS84 within centimetres, so EPSG:4326 input
is stored as-is. GCJ-02 (AMap, Tencent, WeChat) and BD-09 (Baidu) are obfuscated datums with
no EPSG code; pyproj cannot do them, so the published formulas are written here, vectorised
with numpy, and inverted by fixed-point iteration to millimetres.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
from pyproj import CRS
from pyproj.exceptions import CRSError

from gis.core.errors import InvalidCoordinates, UnknownCRS

__all__ = ["STORAGE_SRID", "check_in_china", "crs_label", "metric_epsg", "metric_epsg_of",
           "parse_crs", "to_storage"]

STORAGE_SRID: Final = 4490
"""CGCS2000, the national datum every geometry is stored in (equal to WGS84 within cm)."""
Array = npt.NDArray[np.float64]
GCJ02: Final = "gcj02"
BD09: Final = "bd09"
CHINESE_DATUMS: Final = (GCJ02, BD09)
# Generous bounding box of China's territory (incl. islands): lon 73–136, lat 3–54.
CHINA_LON: Final = (73.0, 136.0)
CHINA_LAT: Final = (3.0, 54.0)
# The box inside which the GCJ-02 obfuscation applies; outside it GCJ-02 equals WGS84.
_GCJ_LON: Final = (72.004, 137.8347)
_GCJ_LAT: Final = (0.8293, 55.8271)
_A: Final = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE: Final = 0.00669342162296594323
_BD_PI: Final = np.pi * 3000.0 / 180.0


# OGC spellings of an EPSG code or of CRS84 (OGC API, GML, WFS): URNs and http(s) URIs
_EPSG_SPELLINGS: Final = (
    re.compile(r"(?:epsg|crs)\s*:\s*(\d{1,6})"),
    re.compile(r"urn:ogc:def:crs:epsg:[\d.]*:(\d{1,6})"),
    re.compile(r"https?://www\.opengis\.net/def/crs/epsg/[\d.]+/(\d{1,6})"),
    re.compile(r"(\d{1,6})"),
)
_CRS84: Final = re.compile(r"(?:ogc\s*:\s*)?crs:?84|urn:ogc:def:crs:ogc:[\d.]*:crs84"
                           r"|https?://www\.opengis\.net/def/crs/ogc/[\d.]+/crs84")
MAX_CRS_TEXT: Final = 4000
"""Longest CRS text looked at (a WKT definition fits comfortably); longer is refused."""
_UNKNOWN: Final = ("use an EPSG code such as EPSG:4326, EPSG:4490 or EPSG:4549 (also as "
                   "urn:ogc:def:crs:EPSG::4490 or http://www.opengis.net/def/crs/EPSG/0/4490), "
                   "CRS84, or gcj02 (AMap/Tencent/WeChat), or bd09 (Baidu)")


def parse_crs(value: str | int | None) -> str | CRS:
    """'gcj02'/'bd09' (any case) or a pyproj CRS for EPSG codes (any OGC spelling: EPSG:4490,
    urn:ogc:def:crs:EPSG::4490, http://www.opengis.net/def/crs/EPSG/0/4490, 4490), CRS84 and
    other definitions pyproj reads (WKT, PROJ). UnknownCRS (422) for anything else."""
    if value is None or value == "":
        return CRS.from_epsg(STORAGE_SRID)
    text = str(value).strip()
    shown = text if len(text) <= 60 else text[:57] + "..."
    lowered = text.lower()
    if lowered.replace("-", "").replace("_", "") in CHINESE_DATUMS:
        return lowered.replace("-", "").replace("_", "")
    if len(text) > MAX_CRS_TEXT or "\x00" in text:
        raise UnknownCRS(f"unknown CRS '{shown}': {_UNKNOWN}")
    if _CRS84.fullmatch(lowered):
        return CRS.from_user_input("OGC:CRS84")
    for spelling in _EPSG_SPELLINGS:
        found = spelling.fullmatch(lowered)
        if found:
            return _from_epsg(int(found[1]), shown)
    try:
        return CRS.from_user_input(text)
    except (CRSError, ValueError, TypeError) as exc:
        raise UnknownCRS(f"unknown CRS '{shown}': {_UNKNOWN}") from exc


def _from_epsg(code: int, shown: str) -> CRS:
    try:
        return CRS.from_epsg(code)
    except CRSError as exc:
        raise UnknownCRS(f"unknown CRS '{shown}': EPSG:{code} does not exist; "
                         f"{_UNKNOWN}") from exc


def crs_label(value: str | int | CRS | None) -> str:
    """A short name of a CRS for storage and messages (at most 20 characters): 'EPSG:4490',
    'OGC:CRS84', 'gcj02', 'bd09', else 'custom'."""
    parsed = value if isinstance(value, CRS) else parse_crs(value)
    if isinstance(parsed, str):
        return parsed
    authority = parsed.to_authority(min_confidence=100)
    if authority is not None and len(label := f"{authority[0]}:{authority[1]}") <= 20:
        return label
    return "custom"


def metric_epsg(lon: float, lat: float) -> int:
    """EPSG code of the metric CRS at lon/lat (degrees, EPSG:4490): the one chooser.

    In China the CGCS2000 3-degree Gauss-Kruger zone (no zone prefix): EPSG:4534 is central
    meridian 75°E, each next code 3° further east, up to 4554 (135°E); elsewhere the WGS84
    UTM zone. Lengths stored in one CRS and cut or compared in another would disagree, so
    callers choose once, for the centre of their data (``metric_epsg_of``), and pass the code
    on (to SQL as a bound parameter).
    """
    if coordinate_problems([lon], [lat])[0]:
        zone = min(int((lon + 180) // 6) + 1, 60)
        return (32600 if lat >= 0 else 32700) + zone
    central = round(lon / 3.0) * 3
    central = min(max(central, 75), 135)
    return 4534 + (central - 75) // 3


def metric_epsg_of(bounds: Sequence[float] | npt.NDArray[np.float64]) -> int:
    """``metric_epsg`` of the centre of ``bounds`` (minx, miny, maxx, maxy; EPSG:4490)."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    return metric_epsg((minx + maxx) / 2, (miny + maxy) / 2)


def _transform_lat(x: Array, y: Array) -> Array:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: Array, y: Array) -> Array:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _in_gcj_box(lon: Array, lat: Array) -> npt.NDArray[np.bool_]:
    return (lon >= _GCJ_LON[0]) & (lon <= _GCJ_LON[1]) & (lat >= _GCJ_LAT[0]) & \
        (lat <= _GCJ_LAT[1])


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """WGS84/CGCS2000 lon/lat (degrees) to GCJ-02; unchanged outside the GCJ box."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = _in_gcj_box(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 lon/lat to BD-09 (Baidu) lon/lat."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """WGS84 lon/lat to BD-09 (through GCJ-02, as Baidu defines it)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _invert(forward: Callable[[Array, Array], tuple[Array, Array]], lon: npt.ArrayLike,
            lat: npt.ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 20
            ) -> tuple[Array, Array]:
    """Solve forward(x) = target by fixed-point iteration x <- x - (forward(x) - target).

    The usual one-step inverse is off by up to ~5 m; the forward map is a near-identity
    contraction, so two or three steps reach millimetres and ``tol_deg`` (1e-10° ≈ 0.01 mm)
    ends the loop; the loop is over iterations, every step is vectorised over all points.
    """
    tx, ty = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = tx.copy(), ty.copy()
    for _ in range(max_iter):
        fx, fy = forward(x, y)
        dx, dy = fx - tx, fy - ty
        x, y = x - dx, y - dy
        if np.nanmax(np.abs(np.concatenate([np.ravel(dx), np.ravel(dy)])), initial=0) < tol_deg:
            break
    return x, y


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 lon/lat to WGS84/CGCS2000, iterated to convergence (mm)."""
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """BD-09 lon/lat to WGS84/CGCS2000, iterated to convergence (mm)."""
    return _invert(wgs84_to_bd09, lon, lat)


def check_in_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> None:
    """Raise InvalidCoordinates naming the first bad point (swapped, outside China, not finite)."""
    reasons = coordinate_problems(lon, lat)
    bad = np.flatnonzero(reasons != "")
    if bad.size:
        i = int(bad[0])
        raise InvalidCoordinates(f"point {i + 1}: {reasons[i]}", index=i)


def coordinate_problems(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """Per point: '' when it is plausible lon/lat in China, else the reason (vectorised)."""
    x = np.atleast_1d(np.asarray(lon, dtype=float))
    y = np.atleast_1d(np.asarray(lat, dtype=float))
    inside = _in_box(x, y)
    swapped = ~inside & _in_box(y, x)
    finite = np.isfinite(x) & np.isfinite(y)
    out = np.full(x.shape, "", dtype=object)
    out[~finite] = "coordinates missing or not numbers"
    out[finite & swapped] = ("longitude and latitude look swapped (lon must come first, "
                             "73–136°E; lat 3–54°N)")
    out[finite & ~inside & ~swapped] = ("outside China (lon 73–136°E, lat 3–54°N): check the "
                                        "CRS; projected metres need --crs such as EPSG:4549")
    return out.astype(str)


def _in_box(x: Array, y: Array) -> npt.NDArray[np.bool_]:
    return (x >= CHINA_LON[0]) & (x <= CHINA_LON[1]) & (y >= CHINA_LAT[0]) & (y <= CHINA_LAT[1])


def to_storage(lon: npt.ArrayLike, lat: npt.ArrayLike,
               crs: str | int | CRS | None = None) -> tuple[Array, Array]:
    """Coordinates in ``crs`` (EPSG code, CRS, 'gcj02' or 'bd09') to CGCS2000 lon/lat.

    Projected input (x/y in metres) is reprojected with pyproj; nothing is checked here
    (call ``check_in_china`` or ``coordinate_problems`` on the result).
    """
    parsed = crs if isinstance(crs, CRS) else parse_crs(crs)
    # compare strings only as strings: CRS.__eq__('gcj02') would try to parse it (~0.3 s)
    if isinstance(parsed, str):
        return gcj02_to_wgs84(lon, lat) if parsed == GCJ02 else bd09_to_wgs84(lon, lat)
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if parsed.to_epsg() in (STORAGE_SRID, 4326):
        return x, y
    from pyproj import Transformer

    transformer = Transformer.from_crs(parsed, CRS.from_epsg(STORAGE_SRID), always_xy=True)
    out_x, out_y = transformer.transform(x, y)
    return np.asarray(out_x, dtype=float), np.asarray(out_y, dtype=float)
