"""Photo cleaning without a database: formats and pixel modes kept or converted, metadata
gone, hostile files refused with gridmap's errors only (never another exception)."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image, ImageCms

from gis.core.errors import GridmapError, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from gis.events import photos
from tests.builders import make_photo_jpeg


def _saved(fmt: str, mode: str, size: tuple[int, int] = (80, 60), **options: object) -> bytes:
    image = Image.new(mode, size)
    if mode == "P":
        image.putpalette([0, 0, 0, 255, 0, 0] * 128)
        options.setdefault("transparency", 0)
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize(("data", "content_type", "mode"), [
    (_saved("JPEG", "CMYK"), "image/jpeg", "RGB"),
    (_saved("JPEG", "L"), "image/jpeg", "L"),
    (_saved("PNG", "I;16"), "image/png", "I;16"),
    (_saved("PNG", "P"), "image/png", "RGBA"),  # its transparency kept as alpha
    (_saved("PNG", "LA"), "image/png", "LA"),
    (_saved("WEBP", "RGBA"), "image/webp", "RGBA"),
])
def test_formats_and_modes(data: bytes, content_type: str, mode: str) -> None:
    clean = photos.clean_photo(data)
    stored = Image.open(io.BytesIO(clean.data))
    assert (clean.content_type, stored.mode) == (content_type, mode)
    assert Image.open(io.BytesIO(clean.thumb)).format == stored.format


def test_every_piece_of_metadata_is_gone() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.open(io.BytesIO(make_photo_jpeg())).save(out, "JPEG", icc_profile=profile,
                                                   exif=Image.open(io.BytesIO(
                                                       make_photo_jpeg())).getexif())
    clean = photos.clean_photo(out.getvalue())
    stored = Image.open(io.BytesIO(clean.data))
    assert dict(stored.getexif()) == {}
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(stored.info)
    assert (clean.width, clean.height) == (480, 640)


def test_a_heic_photo_is_named_in_the_refusal() -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
    with pytest.raises(UnsupportedMediaType, match="HEIC"):
        photos.clean_photo(heic)


def test_limits() -> None:
    with pytest.raises(PayloadTooLarge, match=r"0\.0 MB"):
        photos.clean_photo(make_photo_jpeg(), photos.Limits(max_bytes=1000))
    with pytest.raises(InvalidInput, match="百万像素"):
        photos.clean_photo(make_photo_jpeg(), photos.Limits(max_pixels=300_000))
    small = photos.clean_photo(make_photo_jpeg(), photos.Limits(max_side=100))
    assert (small.width, small.height) == (75, 100)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's notes on corrupt EXIF
def test_damaged_files_are_refused_with_gridmap_errors_only() -> None:
    seeds = [make_photo_jpeg(), _saved("PNG", "RGBA"), _saved("WEBP", "RGB")]
    rnd = random.Random(7)
    refused = 0
    for _ in range(300):
        data = bytearray(rnd.choice(seeds))
        for _ in range(rnd.randint(1, 12)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        if rnd.random() < 0.3:
            data = data[:rnd.randrange(len(data))]
        try:
            photos.clean_photo(bytes(data))
        except GridmapError:
            refused += 1
    assert refused > 100
