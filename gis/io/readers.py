"""Reading the file formats of gis.io.formats into (Geo)DataFrames via pyogrio.

The format is told by the file's extension. Every failure to read becomes ``MalformedFile``
with a sentence a person can act on; GDAL's own message is kept short and never the only
explanation. The text encoding, when the file does not declare it, is detected
(gis.io.encodings) and kept in ``frame.attrs[ENCODING]`` for the import report; road files
keep their walkable ways only, the kinds dropped counted in ``frame.attrs[DROPPED]``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS

from gis.core.errors import MalformedFile, PayloadTooLarge
from gis.io import archives, cad, encodings, formats
from gis.io.archives import ImportLimits
from gis.io.formats import FORMATS, file_format
from gis.io.kinds import Kind
from gis.network.roads import WALKABLE

__all__ = ["FORMATS", "file_format", "read_file"]
ENCODING: Final = "encoding"
DROPPED: Final = "dropped"
X_NAMES: Final = ("lon", "lng", "longitude", "x")
Y_NAMES: Final = ("lat", "latitude", "y")
WKT_NAMES: Final = ("wkt", "geometry", "geom")
UNCLOSED: Final = "unclosed_rings"
"""``frame.attrs`` key: per row, True where a ring of the geometry was not closed."""
_CSV_OPTIONS: Final = {"X_POSSIBLE_NAMES": ",".join(X_NAMES),
                       "Y_POSSIBLE_NAMES": ",".join(Y_NAMES),
                       "GEOM_POSSIBLE_NAMES": ",".join(WKT_NAMES),
                       "KEEP_GEOM_COLUMNS": "NO"}


def read_file(path: Path, kind: Kind, *, layer: str | None = None,
              limits: ImportLimits | None = None, dxf_map: Path | None = None
              ) -> tuple[pd.DataFrame, CRS | None]:
    """The rows of ``path`` (columns lower-cased, geometry in ``geometry``) and the file's CRS.

    The geometry is in the file's CRS (None when the file declares none, as CSV and DXF
    never do); attribute-only kinds come back as a plain DataFrame. ``limits`` are checked
    before the rows are read where the format allows: a zip's members, unpacked and measured,
    and the number of features (PayloadTooLarge). ``layer`` is a DXF's CAD layers
    (comma-separated) and ``dxf_map`` its mapping file (gis.io.cad).
    """
    limits = limits or ImportLimits()
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise MalformedFile(f"'{path.name}' is empty or missing: nothing to import")
    fmt = file_format(path)
    if fmt == "OpenStreetMap":
        return _read_osm(path, kind)
    if fmt in ("Shapefile", "KMZ") or (fmt == "MapInfo" and path.suffix.lower() == ".zip"):
        archives.check_zip(path, limits)
    frame, encoding = _read(path, fmt, kind, layer, limits, dxf_map)
    if len(frame) == 0:
        raise MalformedFile(f"'{path.name}' holds no rows: nothing to import")
    _too_many(path, len(frame), limits.max_features)
    crs = getattr(frame, "crs", None)
    frame = _normalise_columns(frame, kind)
    if kind.geometry and kind.geometry_required and "geometry" not in frame.columns:
        raise MalformedFile(_no_geometry_message(path, fmt, kind))
    if not kind.geometry and "geometry" in frame.columns:
        frame = pd.DataFrame(frame.drop(columns="geometry"))
    if kind.name == "roads":
        frame = _walkable(frame)
    frame.attrs[ENCODING] = encoding
    return frame, crs


def _read(path: Path, fmt: str, kind: Kind, layer: str | None, limits: ImportLimits,
          dxf_map: Path | None) -> tuple[pd.DataFrame, str | None]:
    """The file's rows and the label of its detected encoding (None: declared or UTF-8)."""
    if fmt == "GeoParquet":
        return formats.read_parquet(path, limits.max_features), None
    if fmt == "DXF":
        frame, found = _guarded(path, fmt, lambda: cad.read_dxf(path, layers=layer,
                                                                 mapping=dxf_map))
        return frame, found.label()
    layer, options, encoding = _options(path, fmt, kind, layer)
    if fmt in ("KML", "KMZ"):
        frame = _guarded(path, fmt, lambda: formats.read_kml_layers(path, layer))
        return formats.kml_frame(frame), None
    _check_count(path, layer, options, limits.max_features)
    frame = _guarded(path, fmt, lambda: _read_dataframe(path, layer, options))
    return frame, encoding.label() if encoding else None


def _options(path: Path, fmt: str, kind: Kind, layer: str | None
             ) -> tuple[str | None, dict[str, Any], encodings.Encoding | None]:
    """The layer to read, pyogrio's options and the detected encoding (None: declared)."""
    options: dict[str, Any] = {}
    encoding: encodings.Encoding | None = None
    if fmt == "Shapefile" or (fmt == "MapInfo" and path.suffix.lower() == ".zip"):
        layer = layer or _zip_layer(path, fmt)
    if fmt == "Shapefile":
        encoding = encodings.of_shapefile(path)
    elif fmt == "GeoPackage":
        layer = layer or _gpkg_layer(path, kind)
    elif fmt == "CSV":
        encoding = encodings.of_text(path)
        options = dict(_CSV_OPTIONS)
    elif fmt == "GML":
        options = {"WRITE_GFS": "NO"}  # no .gfs file left next to the user's file
    if encoding is not None:
        options["encoding"] = encoding.name
    return layer, options, encoding


def _guarded(path: Path, fmt: str, read: Any) -> Any:
    """``read()``, its GDAL errors as MalformedFile."""
    try:
        return read()
    except (DataSourceError, DataLayerError, ValueError, KeyError) as exc:
        sibling = (" (a .tab needs its .dat, .map and .id files: zip them together)"
                   if fmt == "MapInfo" else "")
        raise MalformedFile(f"'{path.name}' could not be read as {fmt}: "
                            f"{_short(exc)}; check that the file is complete and really a "
                            f"{fmt} file{sibling}") from exc


def _walkable(frame: pd.DataFrame) -> pd.DataFrame:
    """Road rows whose ``highway`` tag, when they carry one, is walkable (motorways and trunk
    roads out); the dropped kinds counted in ``frame.attrs[DROPPED]``."""
    if "highway" not in frame.columns:
        return frame
    highway = frame["highway"].astype(object).where(frame["highway"].notna(), None)
    drop = highway.notna() & ~highway.isin(WALKABLE)
    counts = {str(k): int(v) for k, v in highway[drop].value_counts().items()}
    kept = frame[~drop.to_numpy()].copy()
    if "kind" not in kept.columns:
        kept["kind"] = kept["highway"]
    else:
        kept["kind"] = kept["kind"].fillna(kept["highway"])
    kept.attrs[DROPPED] = counts
    return kept


def _too_many(path: Path, count: int, limit: int | None) -> None:
    if limit is not None and count > limit:
        raise PayloadTooLarge(f"'{path.name}' holds {count} features, more than the {limit} "
                              "one import over HTTP may hold (GRIDMAP_MAX_IMPORT_FEATURES); "
                              "split the file, or import it on the server with `gridmap "
                              "import`", features=count, max_features=limit)


def _read_dataframe(path: Path, layer: str | None, options: dict[str, Any]) -> pd.DataFrame:
    """The file's rows; a geometry GEOS cannot build (a ring whose last point is not its
    first) becomes None, its row marked in ``frame.attrs[UNCLOSED]`` for the checks."""
    try:
        return pyogrio.read_dataframe(path, layer=layer, **options)
    except shapely.errors.GEOSException:
        frame = pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore", **options)
        fixed = pyogrio.read_dataframe(path, layer=layer, on_invalid="fix", **options)
        frame.attrs[UNCLOSED] = (frame.geometry.isna() & fixed.geometry.notna()).to_numpy()
        return frame


def _check_count(path: Path, layer: str | None, options: dict, limit: int | None) -> None:
    """PayloadTooLarge when the file holds more than ``limit`` features (counted by GDAL
    without reading them into memory); a file GDAL cannot open is left to the reader."""
    if limit is None:
        return
    try:
        count = int(pyogrio.read_info(path, layer=layer, force_feature_count=True,
                                      **options)["features"])
    except (DataSourceError, DataLayerError, ValueError):
        return
    _too_many(path, count, limit)


def _read_osm(path: Path, kind: Kind) -> tuple[pd.DataFrame, CRS]:
    """An .osm.pbf file: roads only, its walkable ways read by gis.network.roads (EPSG:4490)."""
    if kind.name != "roads":
        raise MalformedFile(f"'{path.name}': OpenStreetMap files can be imported as roads only")
    from gis.network import roads  # pyrosm is heavy: loaded only for OSM files

    return _normalise_columns(roads.frame_from_osm(path), kind), CRS.from_epsg(4490)


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


def _no_geometry_message(path: Path, fmt: str, kind: Kind) -> str:
    if fmt == "CSV":
        return (f"'{path.name}' has no coordinates: {kind.name} need a geometry, so give "
                f"lon and lat columns (also lng/longitude/x, latitude/y) or a WKT column")
    return f"'{path.name}' has no geometry column: {kind.name} need one"


def _zip_layer(path: Path, fmt: str) -> str | None:
    """The one Shapefile or MapInfo table inside the zip (None lets GDAL open it);
    MalformedFile otherwise."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise MalformedFile(f"'{path.name}' is not a valid zip archive; zip the .shp, .shx, "
                            ".dbf and .prj files of one Shapefile together") from exc
    ext = ".tab" if fmt == "MapInfo" else ".shp"
    shapes = [Path(n).stem for n in names if n.lower().endswith(ext)]
    if not shapes:
        listed = ", ".join(names[:5]) or "nothing"
        raise MalformedFile(f"'{path.name}' holds no {ext} file (found: {listed}); a zipped "
                            "Shapefile needs the .shp, .shx, .dbf (and .prj) files, a "
                            "MapInfo table its .tab, .dat, .map and .id")
    if len(shapes) > 1:
        raise MalformedFile(f"'{path.name}' holds several tables ({', '.join(shapes)}): "
                            "choose one with --layer")
    return None


def _gpkg_layer(path: Path, kind: Kind) -> str | None:
    """The layer to read: the only one, or the one named after the kind."""
    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except (DataSourceError, ValueError) as exc:
        raise MalformedFile(f"'{path.name}' is not a GeoPackage (it could not be opened: "
                            f"{_short(exc)})") from exc
    if len(layers) <= 1:
        return None
    if kind.name in layers:
        return kind.name
    raise MalformedFile(f"'{path.name}' has several layers ({', '.join(layers)}): choose one "
                        "with --layer")


def _normalise_columns(frame: pd.DataFrame, kind: Kind) -> pd.DataFrame:
    """Lower-case names; map Shapefile-truncated names back to the kind's field names."""
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    renames: dict[str, str] = {}
    cut = {f.name[:10]: f.name for f in kind.fields if len(f.name) > 10}
    for column in frame.columns:
        if column == geometry:
            renames[column] = "geometry"
            continue
        lower = str(column).strip().lower()
        renames[column] = cut.get(lower, lower) if lower not in kind.field_names else lower
    frame = frame.rename(columns=renames)
    if isinstance(frame, gpd.GeoDataFrame) and geometry:
        frame = frame.set_geometry("geometry")
    return frame
