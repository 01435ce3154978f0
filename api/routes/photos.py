"""Photos of events: upload (multipart), list, and the image itself.

Access is the event's: intake roles (dispatcher, grid worker) add photos, every reading role
lists and sees them, a region-scoped key only for events of its region (``CurrentEvent``).
Map pages upload with the login cookie and the page's CSRF token, and show the images with
the cookie alone (a read). Photos are re-encoded without metadata before they are stored
(gis.events.photos); the stored bytes never change, so their SHA-256 is the ETag.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from starlette import datastructures

from api.access import CurrentEvent, IntakeDep, ReaderDep
from api.deps import SessionDep, SettingsDep
from api.params import RowId
from api.schemas.common import errors
from api.schemas.events import Photo, PhotoList
from gis.events import photos

router = APIRouter(prefix="/api/v1/events", tags=["events"], responses=errors(401, 403, 422))
IMAGE_TYPES = {t: {"schema": {"type": "string", "format": "binary"}} for t in photos.ENCODERS}
CACHE = "private, max-age=86400"
"""Browsers may keep a photo a day (its bytes never change) but no shared cache may: access
to it depends on who asks."""


def photo_limits(settings: SettingsDep) -> photos.Limits:
    """The upload limits from the settings (GRIDMAP_MAX_PHOTO_BYTES, …)."""
    return photos.Limits(max_bytes=settings.max_photo_bytes,
                         max_pixels=settings.max_photo_pixels, max_side=settings.photo_max_side)


PhotoLimitsDep = Annotated[photos.Limits, Depends(photo_limits)]


def read_upload(upload: datastructures.UploadFile, limits: photos.Limits) -> photos.CleanPhoto:
    """An uploaded file read (never more than the limit and one byte) and cleaned."""
    data = upload.file.read(limits.max_bytes + 1)
    return photos.clean_photo(data, limits)


def photo_url(request: Request, code: str, photo_id: int) -> str:
    return str(request.url_for("get_event_photo", code=code, photo_id=photo_id).path)


def described(request: Request, code: str, item: dict[str, Any]) -> dict[str, Any]:
    url = photo_url(request, code, item["id"])
    return {**item, "url": url, "thumb_url": f"{url}?thumb=true"}


def image_answer(photo: photos.StoredPhoto, request: Request) -> Response:
    """The image with its ETag (304 when the browser has it), never sniffed as anything else."""
    headers = {"ETag": f'"{photo.sha256}"', "Cache-Control": CACHE,
               "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(photo.data, media_type=photo.content_type, headers=headers)


@router.post("/{code}/photos", status_code=201, response_model=Photo,
             responses=errors(404, 413, 415))
def upload_event_photo(request: Request, caller: IntakeDep, event: CurrentEvent,
                       session: SessionDep, limits: PhotoLimitsDep,
                       photo: Annotated[UploadFile, File(
                           description="JPEG, PNG or WebP; EXIF (GPS…) and all other "
                                       "metadata are removed, large images scaled down")]
                       ) -> dict[str, Any]:
    """Add a photo to the event (multipart field ``photo``): 413 over GRIDMAP_MAX_PHOTO_BYTES,
    415 another image format, 422 not an image, damaged, or more pixels than
    GRIDMAP_MAX_PHOTO_PIXELS. The same photo sent again is stored once."""
    item = photos.add_photo(session, event.code, read_upload(photo, limits), actor=caller.name,
                            scope=caller.scope)
    return described(request, event.code, item)


@router.get("/{code}/photos", response_model=PhotoList, responses=errors(404))
def list_event_photos(request: Request, caller: ReaderDep, event: CurrentEvent,
                      session: SessionDep) -> dict[str, Any]:
    """The event's photos, oldest first, each with the ``url`` of its image."""
    items = photos.list_photos(session, event.code, scope=caller.scope)
    return {"items": [described(request, event.code, item) for item in items]}


@router.get("/{code}/photos/{photo_id}", response_class=Response,
            responses={200: {"content": IMAGE_TYPES, "description": "the image"},
                       **errors(404)})
def get_event_photo(request: Request, caller: ReaderDep, event: CurrentEvent,
                    photo_id: RowId, session: SessionDep, thumb: Annotated[bool, Query(
                        description="the thumbnail (at most 320 px on its longer side)")
                    ] = False) -> Response:
    """One photo of the event, as stored (JPEG, PNG or WebP without metadata), or its
    thumbnail."""
    photo = photos.get_photo(session, event.code, photo_id, scope=caller.scope, thumb=thumb)
    return image_answer(photo, request)

