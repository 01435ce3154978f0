"""Import (admin, planner) and export (public kinds for anyone, the rest for any key).

``POST /api/v1/import/{kind}`` takes a multipart upload (field ``file``; GeoJSON, GeoPackage,
zipped Shapefile, CSV, KML/KMZ, DXF, FlatGeobuf, GeoParquet, zipped MapInfo TAB or GML, told
by the file name's extension) or a raw GeoJSON body; one
transaction, all or nothing unless ``keep_good=true``; a rejected import answers 422 with the
report. ``GET /api/v1/export/{kind}`` answers GeoJSON in the import field names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import UploadFile

from api import access
from api.access import PlannerDep
from api.deps import CallerDep, SessionDep, SettingsDep
from api.responses import GeoJSONResponse
from api.schemas.common import errors
from api.schemas.io import Export, ImportReport
from gis import io
from gis.access.callers import Caller
from gis.core.errors import InvalidInput, MalformedFile, PayloadTooLarge

router = APIRouter(prefix="/api/v1", tags=["import/export"],
                   responses=errors(401, 403, 413, 422))
CRS = Annotated[str | None, Query(description="the data's CRS: EPSG:4549, gcj02, bd09…")]
KeepGood = Annotated[bool, Query(description="write the good rows even if some are rejected")]


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str


def _too_large(size: int | None, limit: int) -> PayloadTooLarge:
    got = f"{size / 1e6:.1f} MB, " if size else ""
    return PayloadTooLarge(f"the upload is {got}more than the {limit / 1e6:.1f} MB allowed "
                           "(GRIDMAP_MAX_UPLOAD_BYTES); split the file, or import it on the "
                           "server with `gridmap import`", limit_bytes=limit)


async def read_upload(request: Request, settings: SettingsDep) -> Upload:
    """The uploaded file (multipart field ``file``) or the raw body, refused past the limit."""
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("send the file in a multipart form field named 'file'")
        data, name = await upload.read(limit + 1), upload.filename or "upload.geojson"
    else:
        body, name = bytearray(), "upload.geojson"
        async for chunk in request.stream():  # stop reading once past the limit
            body += chunk
            if len(body) > limit:
                break
        data = bytes(body)
    if len(data) > limit:
        raise _too_large(None, limit)
    if not data:
        raise MalformedFile("the upload is empty: send a file (multipart field 'file') or a "
                            "GeoJSON body")
    return Upload(data, name)


def exporter(kind: str, caller: CallerDep) -> Caller:
    """Anyone may export public kinds (grids, facilities, workers…); the rest needs a key."""
    return caller if io.get_kind(kind).public else access.check_role(caller, access.ANY_ROLE)


@router.post("/import/{kind}", response_model=ImportReport,
             response_model_exclude_unset=True)
def import_kind(kind: str, caller: PlannerDep, session: SessionDep, settings: SettingsDep,
                upload: Annotated[Upload, Depends(read_upload)], crs: CRS = None,
                keep_good: KeepGood = False, layer: str | None = None) -> dict:
    """Import a file as ``kind``; the report counts accepted, repaired and rejected rows. A
    planner limited to a region imports only rows inside it (others rejected, with reasons)."""
    report = io.import_upload(session, kind, upload.data, upload.filename, crs=crs,
                              keep_good=keep_good, layer=layer, actor=caller.name,
                              scope=caller.scope, time_limits=settings.event_time_limits,
                              limits=io.ImportLimits.from_settings(settings, upload=True))
    return report.to_dict()


@router.get("/export/{kind}", response_class=GeoJSONResponse, response_model=Export)
def export_kind(kind: str, request: Request, session: SessionDep,
                caller: Annotated[Caller, Depends(exporter)], theme: str | None = None,
                reveal: Annotated[bool, Query(description="unmasked personal data (admin, "
                                              "dispatcher, grid_worker keys without a region "
                                              "limit)")] = False) -> GeoJSONResponse:
    """All rows of ``kind`` (in the key's region) as GeoJSON; personal data masked unless
    ``reveal=true`` by an admin, dispatcher or grid worker key without a region limit. Every
    export of a personal kind is audited (who, kind, rows, client address)."""
    origin = request.client.host if request.client else "unknown"
    return GeoJSONResponse(io.export_collection(session, kind, theme=theme, caller=caller,
                                                scope=caller.scope, reveal=reveal,
                                                origin=origin))
