"""Reading GeoJSON, GeoPackage, zipped Shapefile and CSV into (Geo)DataFrames via pyogrio.

The format is told by the file's extension. Every failure to read becomes ``MalformedFile``
with a sentence a person can act on; GDAL's own message is kept short and never the only
explanation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS

from gis.core.errors import MalformedFile, PayloadTooLarge
from gis.io import archives
from gis.io.archives import ImportLimits
from gis.io.kinds import Kind

FORMATS: Final = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage",
                  ".zip": "Shapefile", ".csv": "CSV", ".pbf": "OpenStreetMap"}
X_NAMES: Final = ("lon", "lng", "longitude", "x")
Y_NAMES: Final = ("lat", "latitude", "y")
WKT_NAMES: Final = ("wkt", "geometry", "geom")
UNCLOSED: Final = "unclosed_rings"
"""``frame.attrs`` key: per row, True where a ring of the geometry was not closed."""
_CSV_OPTIONS: Final = {"X_POSSIBLE_NAMES": ",".join(X_NAMES),
                       "Y_POSSIBLE_NAMES": ",".join(Y_NAMES),
                       "GEOM_POSSIBLE_NAMES": ",".join(WKT_NAMES),
                       "KEEP_GEOM_COLUMNS": "NO"}


def file_format(path: Path) -> str:
    """GeoJSON, GeoPackage, Shapefile (zipped) or CSV, from the extension."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise MalformedFile(
            f"'{path.name}': unknown file type '{path.suffix or '(none)'}'; use .geojson, "
            ".json, .gpkg, a zipped Shapefile (.zip / .shp.zip) or .csv (roads also "
            ".osm.pbf)")
    return fmt


def read_file(path: Path, kind: Kind, *, layer: str | None = None,
              limits: ImportLimits | None = None) -> tuple[pd.DataFrame, CRS | None]:
    """The rows of ``path`` (columns lower-cased, geometry in ``geometry``) and the file's CRS.

    The geometry is in the file's CRS (None when the file declares none, as CSV never does);
    attribute-only kinds come back as a plain DataFrame. ``limits`` are checked before the
    rows are read: a zip's members, unpacked and measured, and the number of features
    (PayloadTooLarge).
    """
    limits = limits or ImportLimits()
    path = Path(path)
    fmt = file_format(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise MalformedFile(f"'{path.name}' is empty or missing: nothing to import")
    if fmt == "OpenStreetMap":
        return _read_osm(path, kind)
    options: dict = {}
    if fmt == "Shapefile":
        names = archives.check_zip(path, limits)
        layer = layer or _zip_layer(path, names)
    elif fmt == "GeoPackage":
        layer = layer or _gpkg_layer(path, kind)
    elif fmt == "CSV":
        options = {**_CSV_OPTIONS, "encoding": _csv_encoding(path)}
    _check_count(path, layer, options, limits.max_features)
    try:
        frame = _read_dataframe(path, layer, options)
    except (DataSourceError, DataLayerError, ValueError) as exc:
        raise MalformedFile(f"'{path.name}' could not be read as {fmt}: "
                            f"{_short(exc)}; check that the file is complete and really a "
                            f"{fmt} file") from exc
    if len(frame) == 0:
        raise MalformedFile(f"'{path.name}' holds no rows: nothing to import")
    crs = getattr(frame, "crs", None)
    frame = _normalise_columns(frame, kind)
    if kind.geometry and kind.geometry_required and "geometry" not in frame.columns:
        raise MalformedFile(_no_geometry_message(path, fmt, kind))
    if not kind.geometry and "geometry" in frame.columns:
        frame = pd.DataFrame(frame.drop(columns="geometry"))
    return frame, crs


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
    if count > limit:
        raise PayloadTooLarge(f"'{path.name}' holds {count} features, more than the {limit} "
                              "one import over HTTP may hold (GRIDMAP_MAX_IMPORT_FEATURES); "
                              "split the file, or import it on the server with `gridmap "
                              "import`", features=count, max_features=limit)


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


def _zip_layer(path: Path, names: list[str]) -> str | None:
    """The one Shapefile among the zip's member ``names`` (None lets GDAL open it);
    MalformedFile otherwise."""
    shapes = [Path(n).stem for n in names if n.lower().endswith(".shp")]
    if not shapes:
        listed = ", ".join(names[:5]) or "nothing"
        raise MalformedFile(f"'{path.name}' holds no .shp file (found: {listed}); a zipped "
                            "Shapefile needs the .shp, .shx, .dbf (and .prj) files")
    if len(shapes) > 1:
        raise MalformedFile(f"'{path.name}' holds several Shapefiles ({', '.join(shapes)}): "
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


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030, which Chinese Excel writes by default."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "GB18030"
    return "UTF-8"


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
