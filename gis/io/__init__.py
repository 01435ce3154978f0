"""Import and export of every KIND (regions, grids, buildings, facilities, grid_workers,
households, residents, events, roads) as GeoJSON, GeoPackage, zipped Shapefile, CSV, KML/KMZ,
DXF, FlatGeobuf, GeoParquet, MapInfo TAB or GML.

Modules: ``readers`` (files -> frames), ``kinds`` (field specs), ``validation`` and
``geometry`` and ``references`` (checks, repairs, CRS), ``report``, ``loaders`` (COPY),
``imports`` (the pipeline), ``exporters``; ``formats``, ``cad`` (DXF) and ``encodings``
(text encodings not declared).
"""

from gis.io.archives import ImportLimits
from gis.io.exporters import (
    export_all,
    export_collection,
    export_file,
    export_frame,
    reveals_to,
)
from gis.io.imports import import_file, import_upload
from gis.io.kinds import KINDS, get_kind
from gis.io.report import ImportReport

__all__ = ["KINDS", "ImportLimits", "ImportReport", "export_all", "export_collection",
           "export_file", "export_frame", "get_kind", "import_file", "import_upload", "reveals_to"]
