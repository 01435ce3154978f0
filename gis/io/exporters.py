"""Export a KIND to any format of gis.io.formats, in the import field names; or every KIND
into one GeoPackage (``export_all``).

What is exported imports again unchanged (round trip): lists are comma-separated, times are
ISO 8601 text with their offset, except in CSV, a file for people, where they are Beijing time
``2026-12-03 15:03`` (the importer reads naive times as Asia/Shanghai), geometry is EPSG:4490
lon/lat (CSV: lon/lat columns for points, else WKT).
Personal fields are masked unless ``reveal`` (gis.access.privacy: a masked ID number leaves
with its birth date cut to the year, personal numbers in free text are masked). Every export of
a personal kind, masked or not, is audited: who, which kind, how many rows, from where. A key
limited to a region exports that region's rows only (``scope``; the jurisdiction rule
``gm_in_region`` in each io_export_*.sql).
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from sqlalchemy.orm import Session

from gis.access import audit, jurisdiction, privacy
from gis.access.callers import ANONYMOUS, Caller
from gis.core import clock, frames, sql
from gis.core.crs import STORAGE_SRID
from gis.core.errors import Forbidden, InvalidInput
from gis.io import cad, formats
from gis.io.kinds import KINDS, Kind, get_kind
from gis.io.readers import file_format


def reveals_to(caller: Caller) -> bool:
    """Whether an export shows ``caller`` personal data unmasked: a personal-data role
    (admin, dispatcher, grid_worker) whose key is not limited to a jurisdiction, because an
    export spans every row of the kind."""
    return caller.sees_personal_data and caller.scope is None


def export_frame(session: Session, kind: str, *, theme: str | None = None,
                 reveal: bool = False, actor: str = "cli", origin: str = "cli",
                 scope: str | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
    """The rows of ``kind`` inside region ``scope`` (None: everywhere; events not yet placed
    only then) as a (Geo)DataFrame in EPSG:4490, personal fields masked unless ``reveal``.
    An export of a personal kind is audited in the name of ``actor`` from ``origin``."""
    spec = get_kind(kind)
    if theme is not None and spec.name != "grids":
        raise InvalidInput("theme applies to grids only")
    params = {"theme": theme, "scope": jurisdiction.scope_prefix(scope), "region": scope}
    frame = frames.frame_from_sql(session, sql.load(f"io_export_{spec.name}"), params,
                                  geom_col="geom" if spec.geometry else None)
    frame = _as_text_times(frame)
    if spec.personal:
        audit.record_export(session, actor=actor, kind=spec.name, rows=len(frame),
                            origin=origin, masked=not reveal, scope=scope)
    return frame if reveal else _masked(frame, spec)


def _as_text_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates and times as ISO 8601 text (Shapefiles and CSV keep no time zone otherwise)."""
    for column in ("birth_date", "reported_at"):
        if column in frame.columns:
            frame[column] = frame[column].astype(object).map(
                lambda v: v.isoformat() if pd.notna(v) else None)
    return frame


def _masked(frame: pd.DataFrame, spec: Kind) -> pd.DataFrame:
    if not spec.personal:
        return frame  # grid workers' and facilities' phones are public contact (上岗公示)
    return privacy.mask_frame(frame, names=("name",) if "name" in spec.personal else ())


def export_collection(session: Session, kind: str, *, theme: str | None = None,
                      caller: Caller = ANONYMOUS, scope: str | None = None,
                      reveal: bool = False, origin: str = "http") -> dict:
    """A GeoJSON FeatureCollection (EPSG:4490 lon/lat) of ``kind`` inside region ``scope``
    (the caller's; None: everywhere) for ``caller``, masked unless ``reveal`` (asked for,
    and allowed by ``reveals_to``: Forbidden otherwise); audited as from ``origin``."""
    if reveal and not reveals_to(caller):
        raise Forbidden("an unmasked export needs an admin, dispatcher or grid_worker key "
                        "without a region limit; leave out reveal=true to get masked values")
    frame = export_frame(session, kind, theme=theme, reveal=reveal, actor=caller.name,
                         origin=origin, scope=scope)
    if not isinstance(frame, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame),
                                                                index=frame.index))
    return frames.feature_collection_from_frame(frame, id_column=None,
                                                extra={"kind": get_kind(kind).name})


def export_file(session: Session, kind: str, path: str | Path, *,
                theme: str | None = None, reveal: bool = False, actor: str = "cli",
                scope: str | None = None) -> int:
    """Write ``kind`` inside region ``scope`` (None: everywhere) to ``path`` (format from the
    extension, EPSG:4490); returns the rows written."""
    path = Path(path)
    fmt = file_format(path)
    if fmt == "OpenStreetMap":
        raise InvalidInput("cannot export to OpenStreetMap .pbf: use one of "
                           ".geojson, .gpkg, .shp.zip, .csv, .kml, .kmz, .dxf, .fgb, "
                           ".parquet, .tab/.tab.zip or .gml")
    frame = export_frame(session, kind, theme=theme, reveal=reveal, actor=actor, scope=scope)
    spec = get_kind(kind)
    if fmt == "CSV":
        _csv(_local_times(frame, spec)).to_csv(path, index=False, encoding="utf-8-sig")
    elif fmt == "Shapefile":
        _shapefile(frame, spec, path)
    elif fmt in ("GeoJSON", "GeoPackage"):
        layer = {"layer": spec.name} if fmt == "GeoPackage" else {}
        pyogrio.write_dataframe(frame, path, driver="GPKG" if fmt == "GeoPackage" else
                                "GeoJSON", **layer)
    else:
        _other(frame, spec, fmt, path)
    return len(frame)


def _local_times(frame: pd.DataFrame, spec: Kind) -> pd.DataFrame:
    """Date-and-time columns as Beijing time ``YYYY-MM-DD HH:MM`` (blank when missing)."""
    columns = [f.name for f in spec.fields if f.kind == "datetime" and f.name in frame.columns]
    if not columns:
        return frame
    frame = frame.copy()
    for column in columns:
        frame[column] = clock.local_text_series(frame[column], blank="")
    return frame


def _other(frame: pd.DataFrame, spec: Kind, fmt: str, path: Path) -> None:
    """KML/KMZ, DXF, FlatGeobuf, GeoParquet, MapInfo TAB or GML (gis.io.formats, cad)."""
    if not isinstance(frame, gpd.GeoDataFrame):
        if fmt != "GeoParquet":
            raise InvalidInput(f"{spec.name} have no geometry, and {fmt} needs one: export "
                               "them as .csv, .geojson, .gpkg or .parquet")
        frame.to_parquet(path, index=False)
    elif fmt == "DXF":
        cad.write_dxf(frame, path, kind=spec.name)
    else:
        formats.write(frame, fmt, path, spec.name)


def export_all(session: Session, path: str | Path, *, reveal: bool = False,
               actor: str = "cli", scope: str | None = None) -> dict[str, int]:
    """Every KIND inside region ``scope`` as one layer (table) each of the GeoPackage
    ``path`` (EPSG:4490); personal fields masked unless ``reveal``, personal kinds audited.
    Returns rows written per kind."""
    path = Path(path)
    if file_format(path) != "GeoPackage":
        raise InvalidInput("export all writes one GeoPackage: give a .gpkg file")
    path.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    for name in KINDS:
        frame = export_frame(session, name, reveal=reveal, actor=actor, scope=scope)
        if isinstance(frame, gpd.GeoDataFrame):
            frame = frame.set_crs(STORAGE_SRID, allow_override=True)
        pyogrio.write_dataframe(frame, path, driver="GPKG", layer=name, append=path.exists())
        counts[name] = len(frame)
    return counts


def _csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Points as lon/lat columns, other geometry as full-precision WKT in a 'wkt' column."""
    if not isinstance(frame, gpd.GeoDataFrame):
        return frame
    geoms = np.asarray(frame.geometry.values, dtype=object)
    out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    types = shapely.get_type_id(geoms)
    if np.isin(types, [-1, 0]).all():
        out["lon"], out["lat"] = shapely.get_x(geoms), shapely.get_y(geoms)
    else:
        out["wkt"] = shapely.to_wkt(geoms, rounding_precision=-1)
    return out


def _shapefile(frame: pd.DataFrame, spec: Kind, path: Path) -> None:
    """A zipped Shapefile (GDAL writes .shp.zip itself); one geometry type per file."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InvalidInput(f"{spec.name} have no geometry, and a Shapefile needs one: export "
                           "them as .csv, .geojson or .gpkg")
    types = set(frame.geometry.dropna().geom_type)
    if len(types) > 1:
        raise InvalidInput(f"these {spec.name} mix {' and '.join(sorted(types))}, and a "
                           "Shapefile holds one geometry type: export as .gpkg or .geojson")
    with tempfile.TemporaryDirectory(prefix="gridmap-export-") as folder:
        target = Path(folder) / f"{spec.name}.shp.zip"
        with warnings.catch_warnings():  # GDAL cuts names to 10 characters; import maps back
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.write_dataframe(frame.set_crs(STORAGE_SRID, allow_override=True), target,
                                    driver="ESRI Shapefile", encoding="UTF-8")
        shutil.move(target, path)
