"""Read OGC API collections with QGIS's own OAPIF provider, headless; print what it saw as JSON.

Run by Debian's /usr/bin/python3 (python3-qgis; the project's virtualenv cannot import qgis)
from tests/api/test_ogc_qgis.py. Standard input: ``{"url": OGC landing URL, "user": …,
"password": …, "reads": [{"collection", "label", "keyed", "subset", "rect", "restrict"}]}``;
a read's ``rect`` is lon/lat (the layer's CRS), ``subset`` a QGIS subset string, ``label`` the
attribute reported per feature. Standard output: one object per read with the layer's
validity, CRS, geometry type, extent and features (code → label, first vertex), as QGIS
itself reports them.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# the platform is set before Qt loads
from qgis.core import (
    NULL,
    Qgis,
    QgsApplication,
    QgsDataSourceUri,
    QgsFeatureRequest,
    QgsRectangle,
    QgsVectorLayer,
    QgsWkbTypes,
)


def layer_for(url: str, read: dict[str, Any], user: str, password: str) -> QgsVectorLayer:
    """An OAPIF layer of one collection; keyed ones carry the key by HTTP Basic."""
    uri = QgsDataSourceUri()
    uri.setParam("url", url)
    uri.setParam("typename", read["collection"])
    uri.setParam("pageSize", "1000")
    uri.setParam("hideDownloadProgressDialog", "1")
    uri.setParam("restrictToRequestBBOX", "1" if read.get("restrict") else "0")
    if read.get("keyed"):
        uri.setUsername(user)
        uri.setPassword(password)
    return QgsVectorLayer(uri.uri(False), read["collection"], "OAPIF")


def features_of(layer: QgsVectorLayer, read: dict[str, Any]) -> dict[str, Any]:
    """Every feature QGIS yields for the read: code -> {label, first vertex (x, y)}."""
    request = QgsFeatureRequest()
    if read.get("rect"):
        request.setFilterRect(QgsRectangle(*read["rect"]))
        request.setFlags(QgsFeatureRequest.ExactIntersect)
    out: dict[str, Any] = {}
    for feature in layer.getFeatures(request):
        geometry = feature.geometry()
        first = None if geometry.isNull() else geometry.vertexAt(0)
        out[str(feature["code"])] = {
            "label": None if feature[read["label"]] == NULL else str(feature[read["label"]]),
            "xy": None if first is None else [first.x(), first.y()]}
    return out


def read_one(url: str, read: dict[str, Any], user: str, password: str) -> dict[str, Any]:
    layer = layer_for(url, read, user, password)
    if not layer.isValid():
        return {"valid": False, "error": layer.error().summary()}
    if read.get("subset") and not layer.setSubsetString(read["subset"]):
        return {"valid": True, "error": f"subset string refused: {read['subset']}"}
    extent = layer.extent()
    fields = layer.fields()
    return {
        "valid": True,
        "crs": layer.crs().authid(),
        "geometry": QgsWkbTypes.displayString(layer.wkbType()),
        "extent": [extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()],
        "fields": {f.name(): f.typeName() for f in fields},
        "features": features_of(layer, read),
    }


def main() -> None:
    job = json.load(sys.stdin)
    app = QgsApplication([], False)
    app.initQgis()
    try:
        results = [read_one(job["url"], read, job["user"], job["password"])
                   for read in job["reads"]]
    finally:
        app.exitQgis()
    json.dump({"version": Qgis.QGIS_VERSION, "reads": results}, sys.stdout,
              ensure_ascii=False)


if __name__ == "__main__":
    main()
