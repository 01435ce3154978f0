"""Archive checks measure what a zip really unpacks to, before GDAL sees it: a zip whose
directory understates its sizes is caught, and the measuring stops at the limit."""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

import pytest

from gis.core.errors import MalformedFile, PayloadTooLarge
from gis.io import archives, readers
from gis.io.archives import ImportLimits
from gis.io.kinds import get_kind
from tests.gis.iofiles import grid_frame, write

PADDING = 8_000_000
"""Zeros in the padding member: ~8 KB deflated, 8 MB unpacked."""


def _shapefile_zip(folder: Path, *, padding: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shp = write(grid_frame(2), folder / "grids.shp")
    path = folder / "grids.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(shp.parent.glob("grids.*")):
            if part != path:
                archive.write(part, part.name)
        if padding:
            archive.writestr("readme.txt", b"\0" * padding)
    return path


def _lie(path: Path, name: str, size: int) -> Path:
    """Patch ``name``'s sizes (compressed and unpacked) to ``size`` in both its local header
    and the central directory, as a forged zip would; the CRC is left alone."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(name).header_offset
    struct.pack_into("<II", data, local + 18, size, size)
    start = 0
    while (start := data.find(b"PK\x01\x02", start + 1)) != -1:
        length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46:start + 46 + length] == name.encode():
            struct.pack_into("<II", data, start + 20, size, size)
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:  # the lie is what the directory now says
        assert archive.getinfo(name).file_size == size
    return path


def test_an_honest_zip_passes_and_names_its_members(tmp_path: Path) -> None:
    path = _shapefile_zip(tmp_path)
    names = archives.check_zip(path, ImportLimits(max_archive_bytes=1_000_000,
                                                  max_archive_ratio=100))
    assert {Path(n).suffix for n in names} >= {".shp", ".shx", ".dbf", ".prj"}


def test_a_directory_that_understates_sizes_is_measured_past_the_limit(tmp_path: Path) -> None:
    path = _lie(_shapefile_zip(tmp_path, padding=PADDING), "readme.txt", 100)
    limit = 2_000_000
    with pytest.raises(PayloadTooLarge) as caught:
        archives.check_zip(path, ImportLimits(max_archive_bytes=limit))
    assert "GRIDMAP_MAX_ARCHIVE_BYTES" in caught.value.message
    unpacked = caught.value.details["unpacked_bytes"]
    assert limit < unpacked <= limit + 2 * archives.CHUNK  # stopped at the limit, not 8 MB


def test_the_ratio_is_judged_on_real_sizes(tmp_path: Path) -> None:
    path = _lie(_shapefile_zip(tmp_path, padding=PADDING), "readme.txt", 100)
    with pytest.raises(PayloadTooLarge) as caught:
        archives.check_zip(path, ImportLimits(max_archive_ratio=100))
    assert "GRIDMAP_MAX_ARCHIVE_RATIO" in caught.value.message


def test_a_lie_under_the_limits_is_still_refused(tmp_path: Path) -> None:
    path = _lie(_shapefile_zip(tmp_path, padding=50_000), "readme.txt", 10)
    with pytest.raises(MalformedFile, match=re.escape(
            "says 'readme.txt' unpacks to 10 bytes, but it unpacks to 50000")):
        archives.check_zip(path, ImportLimits())


def test_read_file_checks_once_before_gdal(tmp_path: Path) -> None:
    kind = get_kind("grids")
    frame, _ = readers.read_file(_shapefile_zip(tmp_path / "ok"), kind,
                                 limits=ImportLimits(max_archive_bytes=1_000_000))
    assert len(frame) == 2
    forged = _lie(_shapefile_zip(tmp_path, padding=PADDING), "readme.txt", 100)
    with pytest.raises(PayloadTooLarge):
        readers.read_file(forged, kind, limits=ImportLimits(max_archive_bytes=1_000_000))
    (tmp_path / "empty").mkdir()
    with zipfile.ZipFile(tmp_path / "empty" / "none.zip", "w") as archive:
        archive.writestr("notes.txt", "no shapefile here")
    with pytest.raises(MalformedFile, match=r"holds no \.shp file"):
        readers.read_file(tmp_path / "empty" / "none.zip", kind)


def test_not_a_zip_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "grids.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(MalformedFile, match="not a valid zip archive"):
        archives.check_zip(path, ImportLimits())
