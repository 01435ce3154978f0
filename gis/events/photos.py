"""Photos of events: checked, cleaned of every piece of metadata, stored in the database.

A photo is taken only as JPEG, PNG or WebP. Before it is stored it is decoded (refused when
it declares more than ``max_pixels`` pixels, before a pixel is decoded: a decompression bomb),
turned upright by its EXIF orientation, scaled down to ``max_side`` pixels on its longer side,
converted to sRGB when it carries a colour profile, and encoded again from the pixels alone:
EXIF (GPS position, camera, time), XMP, IPTC, comments and the profile do not survive.
Faces and number plates in the picture are not blurred (beyond this module).

The bytes go into ``event_photo`` in the caller's transaction, so a photo is as durable as
the answer that acknowledges it. Photos have no geometry. Access follows the event: the
caller's region ``scope`` is checked here too (Forbidden outside), as for the event itself.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import clock
from gis.core.errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from gis.models import Event, EventPhoto

FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
"""Pillow's format names gridmap takes, with the type they are stored as (MPO: the
multi-picture JPEG many phones write; its first picture is kept)."""
ENCODERS: dict[str, tuple[str, dict[str, Any]]] = {
    "image/jpeg": ("JPEG", {"quality": 85, "optimize": True}),
    "image/png": ("PNG", {"optimize": True}),
    "image/webp": ("WEBP", {"quality": 85}),
}
MODES = {"image/jpeg": ("RGB", "L"), "image/png": ("1", "L", "LA", "I", "I;16", "P", "RGB",
                                                  "RGBA"), "image/webp": ("RGB", "RGBA")}
"""Pixel modes each encoder writes as they are; other modes are converted to RGB(A)."""
SOURCES = ("staff", "open311")
THUMB_SIDE = 320
"""Longer side of the thumbnail stored with each photo (pages show lists of them)."""
HELP = "请上传 JPEG、PNG 或 WebP 格式的照片 (send a JPEG, PNG or WebP photo)"
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
"""ISO-BMFF brands of HEIF/HEIC files (an iPhone's default photo format), which Pillow does
not read: named in the refusal, with what to do."""


@dataclass(frozen=True)
class Limits:
    """What one upload may be: bytes as sent, pixels as declared, longer side as stored."""

    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_side: int = 2048


@dataclass(frozen=True)
class CleanPhoto:
    """A photo re-encoded from its pixels alone (no metadata), ready to store."""

    data: bytes
    content_type: str
    width: int
    height: int
    sha256: str
    thumb: bytes
    """The same picture at most THUMB_SIDE pixels on its longer side, same format."""


@dataclass(frozen=True)
class StoredPhoto:
    """A stored photo's bytes and how to serve them."""

    data: bytes
    content_type: str
    sha256: str


def too_large(limit: int) -> PayloadTooLarge:
    """The 413 of a photo over ``limit`` bytes, saying what to do."""
    return PayloadTooLarge(
        f"照片太大：每张不超过 {limit / 1e6:.1f} MB，请压缩或缩小后再上传 (the photo is larger "
        f"than the {limit / 1e6:.1f} MB allowed, GRIDMAP_MAX_PHOTO_BYTES: send a smaller one)",
        limit_bytes=limit)


def clean_photo(data: bytes, limits: Limits = Limits()) -> CleanPhoto:
    """``data`` (a file as uploaded) checked and re-encoded in its own format without any
    metadata: PayloadTooLarge (413) over ``limits.max_bytes``, UnsupportedMediaType (415) for
    another image format, InvalidInput (422) for no image, a damaged one or too many pixels."""
    if len(data) > limits.max_bytes:
        raise too_large(limits.max_bytes)
    if not data:
        raise InvalidInput(f"照片文件是空的 (the photo file is empty); {HELP}")
    image = _opened(data, limits)
    content_type = FORMATS[str(image.format)]
    pixels = _decoded(image, limits)
    encoded = _encoded(pixels, content_type)
    small = pixels.copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return CleanPhoto(data=encoded, content_type=content_type, width=pixels.width,
                      height=pixels.height, sha256=hashlib.sha256(encoded).hexdigest(),
                      thumb=_encoded(small, content_type))


def _opened(data: bytes, limits: Limits) -> Image.Image:
    """The image's header read (no pixels decoded yet), checked for format and pixel count."""
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _too_many_pixels(limits) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
            raise UnsupportedMediaType(
                "不支持 HEIC/HEIF 格式的照片：请在手机“设置 > 相机 > 格式”中选"
                "“兼容性最佳”，或导出为 JPEG 后上传 (a HEIC photo is not taken: export it "
                f"as JPEG); {HELP}",
                accepted=sorted(ENCODERS)) from None
        raise InvalidInput(f"上传的文件不是可识别的图片 (the file is not an image); {HELP}") \
            from None
    if image.format not in FORMATS:
        raise UnsupportedMediaType(f"不支持 {image.format} 格式的图片 (a {image.format} image "
                                   f"is not taken); {HELP}", accepted=sorted(ENCODERS))
    if image.width * image.height > limits.max_pixels:
        raise _too_many_pixels(limits)
    return image


def _too_many_pixels(limits: Limits) -> InvalidInput:
    return InvalidInput(
        f"图片像素过多：最多 {limits.max_pixels / 1e6:.0f} 百万像素，请缩小后再上传 (the image "
        f"has more than {limits.max_pixels / 1e6:.0f} megapixels: scale it down first)")


def _decoded(image: Image.Image, limits: Limits) -> Image.Image:
    """The pixels, upright by the EXIF orientation, at most ``max_side`` on the longer side,
    in sRGB."""
    side = limits.max_side
    try:
        if image.format in ("JPEG", "MPO"):
            image.draft(None, (side, side))  # decode a large JPEG at 1/2..1/8 scale
        image.load()
        upright = ImageOps.exif_transpose(image)
        if max(upright.size) > side:
            upright.thumbnail((side, side), Image.Resampling.LANCZOS)
        return _srgb(upright)
    except Image.DecompressionBombError:
        raise _too_many_pixels(limits) from None
    except Exception:  # Pillow's decoders raise many kinds of error on a hostile file
        raise InvalidInput(f"图片文件已损坏或不完整 (the image is damaged or cut off: take or "
                           f"export it again); {HELP}") from None


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _srgb(image: Image.Image) -> Image.Image:
    """``image`` converted to sRGB from the colour profile it carries (a phone's Display P3),
    so its colours survive the profile being dropped; as it is without one."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, _srgb_profile(),
                                              outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # an unreadable profile: the pixels as they are
    return converted if converted is not None else image


def _encoded(image: Image.Image, content_type: str) -> bytes:
    """``image`` encoded as ``content_type`` from its pixels alone."""
    see_through = "transparency" in image.info or image.mode in ("RGBA", "LA", "PA")
    if "transparency" in image.info or image.mode not in MODES[content_type]:
        image = image.convert("RGBA" if see_through and content_type != "image/jpeg"
                              else "RGB")
    # exif_transpose keeps every other EXIF tag (GPS among them) in .info, as do the
    # decoders with XMP, ICC and comments: the encoders must see none of it
    image.info = {}
    fmt, options = ENCODERS[content_type]
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _event_id(session: Session, code: str, scope: str | None) -> int:
    row = session.execute(select(Event.id, func.coalesce(
        Event.community_code, Event.subdistrict_code, Event.region_code).label("unit"))
        .where(Event.code == code)).first()
    if row is None:
        raise NotFound(f"事件 {code} 不存在 (no event with code '{code}')")
    jurisdiction.check_inside(row.unit, scope, f"event {code}")
    return int(row.id)


COLUMNS = (EventPhoto.id, EventPhoto.content_type, EventPhoto.width, EventPhoto.height,
           EventPhoto.size_bytes, EventPhoto.sha256, EventPhoto.source, EventPhoto.uploaded_by,
           EventPhoto.uploaded_at)


def _described(row: Any) -> dict[str, Any]:
    item = dict(row._mapping)
    item["uploaded_at_local"] = clock.local_text(item["uploaded_at"])
    item["uploaded_at"] = item["uploaded_at"].isoformat()
    return item


def add_photo(session: Session, code: str, photo: CleanPhoto, *, actor: str,
              source: str = "staff", scope: str | None = None) -> dict[str, Any]:
    """Store ``photo`` with event ``code`` (inside region ``scope``; Forbidden outside) and
    describe it; the same photo sent again for the same event is stored once (its first
    upload is answered). Flushes, never commits."""
    if source not in SOURCES:
        raise InvalidInput(f"photo source must be one of {SOURCES}")
    event_id = _event_id(session, code, scope)
    session.execute(insert(EventPhoto).values(
        event_id=event_id, source=source, content_type=photo.content_type, data=photo.data,
        size_bytes=len(photo.data), width=photo.width, height=photo.height,
        sha256=photo.sha256, thumb=photo.thumb, uploaded_by=actor[:64],
    ).on_conflict_do_nothing(index_elements=["event_id", "sha256"]))
    row = session.execute(select(*COLUMNS).where(EventPhoto.event_id == event_id,
                                                 EventPhoto.sha256 == photo.sha256)).one()
    return _described(row)


def list_photos(session: Session, code: str, *, scope: str | None = None) -> list[dict[str, Any]]:
    """The photos of event ``code`` (inside region ``scope``), oldest first, without bytes."""
    event_id = _event_id(session, code, scope)
    rows = session.execute(select(*COLUMNS).where(EventPhoto.event_id == event_id)
                           .order_by(EventPhoto.id)).all()
    return [_described(row) for row in rows]


def get_photo(session: Session, code: str, photo_id: int, *, scope: str | None = None,
              source: str | None = None, thumb: bool = False) -> StoredPhoto:
    """Photo ``photo_id`` of event ``code`` (inside region ``scope``; of ``source`` only when
    given), or its thumbnail: NotFound when the event has no such photo. The thumbnail's
    ``sha256`` is the photo's with ``-thumb`` appended (an ETag, not a digest)."""
    event_id = _event_id(session, code, scope)
    query = select(EventPhoto.thumb if thumb else EventPhoto.data, EventPhoto.content_type,
                   EventPhoto.sha256).where(EventPhoto.id == photo_id,
                                            EventPhoto.event_id == event_id)
    if source is not None:
        query = query.where(EventPhoto.source == source)
    row = session.execute(query).first()
    if row is None:
        raise NotFound(f"事件 {code} 没有编号 {photo_id} 的照片 (event {code} has no photo "
                       f"{photo_id})")
    return StoredPhoto(data=bytes(row[0]), content_type=row.content_type,
                       sha256=row.sha256 + ("-thumb" if thumb else ""))


def first_photo_ids(session: Session, codes: Iterable[str], *,
                    source: str = "open311") -> dict[str, int]:
    """The first photo of ``source`` of each of the events ``codes`` that has one (event code
    to photo id), in one query."""
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return {}
    rows = session.execute(
        select(Event.code, func.min(EventPhoto.id))
        .join(EventPhoto, EventPhoto.event_id == Event.id)
        .where(Event.code.in_(wanted), EventPhoto.source == source)
        .group_by(Event.code)).all()
    return {code: int(photo_id) for code, photo_id in rows}
