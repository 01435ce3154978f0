"""The local basemap archive of ``GRIDMAP_BASEMAP_URL=pmtiles://PATH`` (layers.basemaps)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.deps import SettingsDep
from api.schemas.common import errors
from layers import basemaps

router = APIRouter(tags=["maps"], responses=errors(404))


@router.get(basemaps.ARCHIVE_URL, response_class=FileResponse,
            summary="本地底图 (the configured PMTiles basemap archive)",
            responses={200: {"content": {"application/vnd.pmtiles": {}},
                             "description": "the archive, or the byte range asked for (206)"},
                       206: {"description": "the byte range asked for (HTTP Range)"}})
def get_basemap_archive(settings: SettingsDep) -> FileResponse:
    """The PMTiles file the pages draw under their layers; map pages read it by byte ranges
    (``Range: bytes=…``). Public, as a basemap is; 404 when none is configured."""
    return FileResponse(basemaps.archive_path(settings.basemap_url),
                        media_type="application/vnd.pmtiles")
