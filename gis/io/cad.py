"""DXF (CAD and survey drawings): the only attributes an entity has are its CAD layer and,
for TEXT/MTEXT entities, their text. So:

- on import, ``code`` is the CAD layer name and ``name`` the text (TEXT or MTEXT) that lies
  inside the shape, else the first text on the same layer, else the layer name; a mapping
  file (JSON ``{"CAD layer": {"code": ..., "name": ..., "theme": ...}}`` or CSV with a
  ``layer`` column and field columns) names them instead, and imports only the layers it
  lists; ``layers`` (comma-separated) also limits the CAD layers read. Closed polylines are
  polygons.
- on export, each feature goes on a CAD layer named by its ``code`` (the kind's name when it
  has none), with an MTEXT label (its ``name``, or address) at a point inside it. The other
  fields are not kept: export to GeoPackage for those.

Labels are written as DXF \\U+ escapes (GDAL's way), layer names in GB18030 under
``$DWGCODEPAGE`` ANSI_936 (what Chinese AutoCAD reads); text is read in the encoding the
bytes show (a file's declared code page is often wrong). Geometry is
in the drawing's coordinates (DXF declares no CRS: give ``--crs`` for projected drawings).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gis.core.errors import MalformedFile
from gis.io import encodings

TEXTS: Final = ("AcDbText", "AcDbMText")
_LABEL_FIELDS: Final = ("name", "address")


def read_dxf(path: Path, *, layers: str | None = None, mapping: Path | None = None
             ) -> tuple[gpd.GeoDataFrame, encodings.Encoding]:
    """The drawing's shapes with ``code`` and ``name`` (and the mapping's fields), in the
    drawing's coordinates (no CRS), and the text encoding used."""
    with path.open("rb") as file:
        encoding = encodings.Encoding(encodings.guess(file.read(encodings.SAMPLE)), "detected")
    raw = pyogrio.read_dataframe(path, ENCODING=encoding.name)
    raw["geometry"] = _closed_as_polygons(shapely.force_2d(raw.geometry.values))
    is_text = raw["SubClasses"].fillna("").str.contains("|".join(TEXTS))
    texts, shapes = raw[is_text & raw["Text"].notna()], raw[~is_text].copy()
    if layers:
        shapes = shapes[shapes["Layer"].isin([n.strip() for n in layers.split(",")])]
    shapes["name"] = _labels(shapes, texts)
    shapes["code"] = shapes["Layer"]
    if mapping is not None:
        shapes = _mapped(shapes, _mapping(mapping))
    if shapes.empty:
        raise MalformedFile(f"'{path.name}' has no shapes on the CAD layers chosen "
                            f"(found layers: {', '.join(sorted(raw['Layer'].dropna().unique()))})")
    keep = [c for c in shapes.columns if c not in
            ("Layer", "PaperSpace", "SubClasses", "Linetype", "EntityHandle", "Text")]
    return gpd.GeoDataFrame(shapes[keep].reset_index(drop=True), geometry="geometry"), encoding


def _closed_as_polygons(geoms: np.ndarray) -> np.ndarray:
    """Closed polylines (a CAD drawing's usual outline) as polygons; others unchanged."""
    geoms = np.asarray(geoms, dtype=object).copy()
    closed = ((shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING)
              & shapely.is_closed(geoms) & (shapely.get_num_coordinates(geoms) >= 4))
    if closed.any():
        coords, index = shapely.get_coordinates(geoms[closed], return_index=True)
        geoms[closed] = shapely.polygons(shapely.linearrings(coords, indices=index))
    return geoms


def _labels(shapes: gpd.GeoDataFrame, texts: gpd.GeoDataFrame) -> pd.Series:
    """Per shape: the text inside it, else the first on its layer, else the layer name."""
    first = texts.drop_duplicates("Layer").set_index("Layer")["Text"]
    label = shapes["Layer"].map(first).fillna(shapes["Layer"])
    if texts.empty or shapes.empty:
        return label
    inside = gpd.sjoin(texts[["Text", "geometry"]], shapes[["geometry"]], predicate="within")
    inside = inside[~inside.index_right.duplicated()].set_index("index_right")["Text"]
    return inside.reindex(shapes.index).fillna(label)


def _mapping(path: Path) -> pd.DataFrame:
    """The mapping file: CAD layer -> field values, one row per layer (``layer`` column)."""
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            table = pd.DataFrame.from_dict(data, orient="index").rename_axis("layer")
            table = table.reset_index()
        else:
            table = pd.read_csv(path, dtype=str, encoding=encodings.of_text(path).name)
    except (OSError, ValueError) as exc:
        raise MalformedFile(f"the DXF mapping file '{path.name}' could not be read: {exc}; "
                            'use JSON {"CAD layer": {"code": ..., "name": ...}} or CSV with '
                            "a 'layer' column") from exc
    table.columns = [str(c).strip().lower() for c in table.columns]
    if "layer" not in table.columns:
        raise MalformedFile(f"the DXF mapping file '{path.name}' has no 'layer' column")
    return table.astype({"layer": str})


def _mapped(shapes: gpd.GeoDataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """The shapes on the mapped layers, their fields taken from the mapping."""
    fields = [c for c in table.columns if c != "layer"]
    base = shapes.drop(columns=[c for c in fields if c in shapes.columns])
    merged = base.merge(table, left_on="Layer", right_on="layer", how="inner")
    return gpd.GeoDataFrame(merged.drop(columns="layer"), geometry="geometry")


def write_dxf(frame: gpd.GeoDataFrame, path: Path, *, kind: str) -> None:
    """``frame`` (any CRS, written as its coordinates) as a DXF drawing, one CAD layer per
    feature (its code) with its name as an MTEXT label."""
    layer = frame["code"].astype(str) if "code" in frame.columns else \
        pd.Series(kind, index=frame.index)
    label = next((frame[f].fillna("").astype(str) for f in _LABEL_FIELDS if f in frame),
                 layer)
    shapes = gpd.GeoDataFrame({"Layer": layer, "OGR_STYLE": None}, geometry=frame.geometry)
    points = shapely.point_on_surface(frame.geometry.values)
    style = 'LABEL(f:"SimSun",t:"' + label.str.replace('"', "'", regex=False) + '")'
    texts = gpd.GeoDataFrame({"Layer": layer, "OGR_STYLE": style}, geometry=points,
                             crs=frame.crs)
    drawing = gpd.GeoDataFrame(pd.concat([shapes, texts], ignore_index=True),
                               geometry="geometry")
    with tempfile.TemporaryDirectory(prefix="gridmap-export-") as folder:
        target = Path(folder) / "out.dxf"
        pyogrio.write_dataframe(drawing, target, driver="DXF")
        text = target.read_text(encoding="utf-8")
    text = text.replace("$DWGCODEPAGE\n  3\nANSI_1252", "$DWGCODEPAGE\n  3\nANSI_936", 1)
    path.write_bytes(text.encode("gb18030"))
