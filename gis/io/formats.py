"""File formats told apart by extension, and the reading and writing of those that need more
than one pyogrio call: KML/KMZ (奥维互动地图 and Google Earth), FlatGeobuf, GeoParquet
(GeoParquet 1.1 metadata), MapInfo TAB (a folder or zipped siblings) and GML.

Geometry is written in EPSG:4490 (KML/KMZ: EPSG:4326, which KML requires; the two agree
within centimetres) and read in the file's CRS. Text is UTF-8 except MapInfo TAB, written as
GBK (charset WindowsSimpChinese) because MapInfo Professional reads no UTF-8 TAB before 15.2.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from gis.core.crs import STORAGE_SRID
from gis.core.errors import MalformedFile, PayloadTooLarge

FORMATS: Final = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage",
                  ".zip": "Shapefile", ".csv": "CSV", ".pbf": "OpenStreetMap",
                  ".kml": "KML", ".kmz": "KMZ", ".dxf": "DXF", ".fgb": "FlatGeobuf",
                  ".parquet": "GeoParquet", ".geoparquet": "GeoParquet", ".tab": "MapInfo",
                  ".gml": "GML"}
GEOMETRY_ONLY: Final = ("Shapefile", "KML", "KMZ", "DXF", "FlatGeobuf", "MapInfo", "GML")
"""Formats that hold features with a geometry only (no attribute tables)."""
KML_NOISE: Final = ("id", "description", "timestamp", "begin", "end", "altitudemode",
                    "tessellate", "extrude", "visibility", "draworder", "icon", "snippet")
"""KML's own per-placemark fields (LIBKML exposes them all): none is a gridmap field."""
_DRIVERS: Final = {"KML": "KML", "KMZ": "LIBKML", "FlatGeobuf": "FlatGeobuf", "GML": "GML",
                   "MapInfo": "MapInfo File"}
HELP: Final = (".geojson/.json, .gpkg, a zipped Shapefile (.zip/.shp.zip), .csv, .kml, .kmz, "
               ".dxf, .fgb, .parquet, MapInfo .tab (zipped with its .dat/.map/.id, or in "
               "its folder) or .gml (roads also .osm.pbf)")


def file_format(path: Path) -> str:
    """The format of ``path`` from its extension; a zip holding a .tab is MapInfo, and so is
    an export target named ``*.tab.zip``."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise MalformedFile(f"'{path.name}': unknown file type '{path.suffix or '(none)'}'; "
                            f"use {HELP}")
    if fmt == "Shapefile" and _is_mapinfo_zip(path):
        return "MapInfo"
    return fmt


def _is_mapinfo_zip(path: Path) -> bool:
    if path.name.lower().endswith(".tab.zip"):
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n.lower() for n in archive.namelist()]
    except (zipfile.BadZipFile, OSError):
        return False  # left to the reader, which says what is wrong
    return any(n.endswith(".tab") for n in names) and not any(n.endswith(".shp") for n in names)


def kml_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A KML/KMZ frame without KML's own placemark fields; the placemark name is ``name``
    and, when the file has no ``code`` field (奥维 exports have none), the code too."""
    frame = frame.drop(columns=[c for c in frame.columns if str(c).lower() in KML_NOISE])
    frame = frame.rename(columns={c: "name" for c in frame.columns if str(c).lower() == "name"})
    if "code" not in {str(c).lower() for c in frame.columns} and "name" in frame.columns:
        frame["code"] = frame["name"]
    if isinstance(frame, gpd.GeoDataFrame):  # KMZ polygons carry a zero altitude
        frame[frame.geometry.name] = shapely.force_2d(frame.geometry.values)
    return frame


def read_kml_layers(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """Every folder (layer) of a KML/KMZ file in one frame, or only ``layer``; EPSG:4326."""
    names = [layer] if layer else [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    parts = [pyogrio.read_dataframe(path, layer=name) for name in names]
    parts = [p for p in parts if len(p)] or parts[:1]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)


def read_parquet(path: Path, max_features: int | None) -> gpd.GeoDataFrame:
    """A GeoParquet file (geometry in its declared CRS); PayloadTooLarge past
    ``max_features`` rows, counted from the footer before any row is read."""
    import pyarrow  # loaded only for GeoParquet files
    import pyarrow.parquet as pq

    try:
        rows = pq.read_metadata(path).num_rows
        if max_features is not None and rows > max_features:
            raise PayloadTooLarge(f"'{path.name}' holds {rows} features, more than the "
                                  f"{max_features} one import over HTTP may hold "
                                  "(GRIDMAP_MAX_IMPORT_FEATURES); split the file",
                                  features=rows, max_features=max_features)
        return gpd.read_parquet(path)
    except (pyarrow.ArrowException, OSError, ValueError) as exc:
        raise MalformedFile(f"'{path.name}' could not be read as GeoParquet: "
                            f"{str(exc).splitlines()[0][:160]}; it needs a 'geo' metadata "
                            "entry (GeoParquet 1.0 or 1.1)") from exc


def write(frame: gpd.GeoDataFrame, fmt: str, path: Path, layer: str) -> None:
    """Write ``frame`` (EPSG:4490) as ``fmt`` (one of the formats above other than DXF,
    GeoJSON, GeoPackage, Shapefile and CSV) to ``path``."""
    frame = frame.set_crs(STORAGE_SRID, allow_override=True)
    if fmt == "GeoParquet":
        frame.to_parquet(path, index=False, schema_version="1.1.0")
    elif fmt == "MapInfo":
        _mapinfo(frame, path, layer)
    elif fmt in ("KML", "KMZ"):
        pyogrio.write_dataframe(frame.to_crs(4326), path, driver=_DRIVERS[fmt], layer=layer)
    else:
        pyogrio.write_dataframe(frame, path, driver=_DRIVERS[fmt], layer=layer)


def _mapinfo(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """``X.tab`` with its siblings in its folder, or ``X.tab.zip`` holding them. A number
    column with empty values is written as text: MapInfo stores no empty number (it would
    come back 0)."""
    frame = frame.copy()
    for column in frame.columns.drop(frame.geometry.name):
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and values.isna().any():
            frame[column] = values.map(lambda v: None if pd.isna(v) else f"{v:g}")
    options = {"ENCODING": "CP936"}
    if path.suffix.lower() == ".tab":
        pyogrio.write_dataframe(frame, path, driver="MapInfo File", layer_options=options)
        return
    with tempfile.TemporaryDirectory(prefix="gridmap-export-") as folder:
        target = Path(folder) / f"{layer}.tab"
        pyogrio.write_dataframe(frame, target, driver="MapInfo File", layer_options=options)
        with zipfile.ZipFile(Path(folder) / "out.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for member in sorted(Path(folder).glob(f"{layer}.*")):
                archive.write(member, member.name)
        shutil.move(Path(folder) / "out.zip", path)
