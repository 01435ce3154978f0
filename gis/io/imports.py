"""Import one file of one KIND: read, reproject to EPSG:4490, check, report, COPY.

All or nothing by default: a single rejected row raises ``ImportRejected`` (carrying the
report) before anything is written. With ``keep_good`` the good rows are written and the bad
ones reported. Every row read is counted: read = accepted + repaired + rejected.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from sqlalchemy.orm import Session

from gis.access import audit
from gis.core import crs as crs_mod
from gis.core import vertices
from gis.core.errors import ImportRejected
from gis.io import geometry, jurisdiction, readers, references, validation
from gis.io.archives import ImportLimits
from gis.io.kinds import Kind, get_kind
from gis.io.loaders import Progress, load
from gis.io.report import Checks, ImportReport, plain


def import_file(session: Session, kind: str, path: str | Path, *, crs: str | None = None,
                keep_good: bool = False, layer: str | None = None,
                progress: Progress | None = None, name: str | None = None,
                actor: str = "cli", scope: str | None = None,
                time_limits: Mapping[str, float] | None = None,
                limits: ImportLimits | None = None,
                dxf_map: Path | None = None) -> ImportReport:
    """Import ``path`` as ``kind`` into the session's transaction (flushed, not committed).

    ``crs`` (an EPSG code, 'gcj02' or 'bd09') overrides the file's own CRS; a file without
    one is read as CGCS2000/WGS84 lon/lat. ``scope`` (the caller's region code) rejects rows
    outside that region. Imported events without a due time get one under ``time_limits``
    (``Settings.event_time_limits``). ``limits`` (archive size, feature count, vertices
    per geometry; default none) refuse a file (PayloadTooLarge) or reject its rows.
    ``layer`` and ``dxf_map`` choose a DXF's CAD layers (gis.io.cad).
    Raises MalformedFile, UnknownCRS, PayloadTooLarge, ImportRejected.
    """
    limits = limits or ImportLimits()
    spec = get_kind(kind)
    forced = crs_mod.parse_crs(crs) if crs else None
    path = Path(path)
    if progress:
        progress("reading", 0, None)
    raw, file_crs = readers.read_file(path, spec, layer=layer, limits=limits,
                                      dxf_map=dxf_map)
    source = forced if forced is not None else file_crs
    checks = Checks(raw.index)
    if progress:
        progress("checking", 0, len(raw))
    frame = _checked(session, spec, raw, source, checks, limits.max_vertices)
    jurisdiction.reject_outside(session, spec, frame, checks, scope)
    report = checks.report(spec.name, name or path.name,
                           frame["code"] if spec.has_code else None,
                           source_crs=geometry.crs_label(source),
                           ignored_columns=validation.ignored_columns(raw, spec),
                           encoding=raw.attrs.get(readers.ENCODING),
                           dropped=raw.attrs.get(readers.DROPPED, {}))
    if progress:
        progress("checking", len(raw), len(raw))
    if report.rejected and not keep_good:
        raise ImportRejected(_rejected_message(report), report=report.to_dict())
    good = frame[checks.ok.to_numpy()]
    report.written, extra = load(session, spec, good, source_crs=_short(source),
                                 progress=progress, time_limits=time_limits)
    report.extra = plain(extra)
    # the audit trail keeps counts only: no row values (they may be personal data)
    audit.record(session, actor=actor, action="import", target=spec.name,
                 **{k: getattr(report, k) for k in (
                     "file", "read", "accepted", "repaired", "rejected", "written")})
    return report


def _checked(session: Session, spec: Kind, raw: pd.DataFrame, source: str | CRS | None,
             checks: Checks, max_vertices: int | None) -> pd.DataFrame:
    """The kind's typed fields, ``geom`` in EPSG:4490 and reference ids, rows judged."""
    frame = validation.clean(raw, spec, checks)
    if spec.geometry:
        column = raw["geometry"] if "geometry" in raw.columns else \
            pd.Series(None, index=raw.index, dtype=object)
        if readers.UNCLOSED in raw.attrs:
            checks.reject(raw.attrs[readers.UNCLOSED], "a ring of the polygon is not closed: "
                          "its last point must repeat its first")
        geoms = _within_vertex_limit(np.asarray(column, dtype=object), checks, max_vertices)
        geoms = geometry.to_storage(geoms, source)
        located = frame["address"].notna() if not spec.geometry_required else None
        geoms = geometry.check(geoms, spec, checks, located_elsewhere=located)
        frame["geom"] = gpd.GeoSeries(geoms, index=raw.index, crs=crs_mod.STORAGE_SRID)
    if not spec.has_code:
        return frame
    validation.duplicates(frame["code"], checks,
                          scope=frame["theme"] if spec.name == "grids" else None)
    references.existing(session, spec, frame, checks)
    return references.resolve(session, spec, frame, checks)


def _within_vertex_limit(geoms: np.ndarray, checks: Checks, limit: int | None) -> np.ndarray:
    """Reject rows whose geometry has more than ``limit`` vertices and drop those geometries
    (any CRS), so no time goes into reprojecting or repairing them."""
    if limit is None:
        return geoms
    counts = vertices.counts(geoms)
    over = counts > limit
    if over.any():
        checks.reject(over, pd.Series(counts, index=checks.reason.index).map(
            lambda n: vertices.reason(int(n), limit)))
        geoms = geoms.copy()
        geoms[over] = None
    return geoms


def _short(source: str | CRS | None) -> str:
    if source is None:
        return f"EPSG:{crs_mod.STORAGE_SRID}"
    return geometry.crs_label(source)[:20]


def _rejected_message(report: ImportReport) -> str:
    first = next(r for r in report.rows if r.status == "rejected")
    code = f" ({first.code})" if first.code else ""
    return (f"{report.rejected} of {report.read} rows of {report.file} rejected, so nothing "
            f"was written; first: row {first.row}{code}: {first.reason}. Fix the rows listed "
            "in the report, or import with keep_good (--keep-good) to write the good rows")


def import_upload(session: Session, kind: str, data: bytes, filename: str | None, *,
                  crs: str | None = None, keep_good: bool = False,
                  layer: str | None = None, actor: str = "api",
                  scope: str | None = None,
                  time_limits: Mapping[str, float] | None = None,
                  limits: ImportLimits | None = None) -> ImportReport:
    """Import uploaded bytes; ``filename``'s extension tells the format (default GeoJSON)."""
    name = Path(filename or "upload.geojson").name or "upload.geojson"
    safe = re.sub(r"[^\w.\-]", "_", name)
    with tempfile.TemporaryDirectory(prefix="gridmap-upload-") as folder:
        path = Path(folder) / safe
        path.write_bytes(data)
        return import_file(session, kind, path, crs=crs, keep_good=keep_good, layer=layer,
                           name=name, actor=actor, scope=scope, time_limits=time_limits,
                           limits=limits)
