"""Limits of imported archives (zipped Shapefiles), checked before GDAL reads anything: a
0.25 MB zip can unpack to gigabytes, and a zip's directory can lie about its sizes.

Sizes are measured, not read from the directory: every member's deflate stream is
decompressed (and thrown away) against a byte budget, stopping as soon as the budget is spent,
and a member whose real size differs from the one its directory declares is refused.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gis.core.errors import MalformedFile, PayloadTooLarge
from gis.core.settings import Settings

RATIO_FLOOR = 1024 * 1024
"""Below this many unpacked bytes the ratio is not judged: small text files pack very well."""
NESTED = (".zip", ".gz", ".7z", ".rar", ".tar", ".tgz", ".bz2", ".xz", ".kmz")


@dataclass(frozen=True)
class ImportLimits:
    """What one import may hold; None means no limit (library callers, the demo loader)."""

    max_features: int | None = None
    max_vertices: int | None = None
    max_archive_bytes: int | None = None
    max_archive_ratio: float | None = None
    max_archive_members: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, upload: bool) -> ImportLimits:
        """The configured limits; the feature count is limited for uploads only (``gridmap
        import`` runs on the server, by its operator)."""
        return cls(max_features=settings.max_import_features if upload else None,
                   max_vertices=settings.max_vertices,
                   max_archive_bytes=settings.max_archive_bytes,
                   max_archive_ratio=settings.max_archive_ratio,
                   max_archive_members=settings.max_archive_members)


CHUNK = 64 * 1024
"""Bytes read, and at most unpacked, per step of the measurement."""
_LOCAL_HEADER = struct.Struct("<4s22xHH")
"""A member's local header: signature, (22 bytes skipped), name and extra-field lengths."""
_LOCAL_SIGNATURE = b"PK\x03\x04"


def check_zip(path: Path, limits: ImportLimits) -> list[str]:
    """The names of the members of ``path``, once it passed every check: PayloadTooLarge (413)
    when its members are too many, or really unpack to too much or pack too well (measured by
    unpacking, stopping at the limit); MalformedFile when it is no zip, holds archives inside,
    or its directory declares sizes its contents do not have."""
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            members = [m for m in archive.infolist() if not m.is_dir()]
            _check_members(path, members, limits)
            _measure(path, raw, members, limits)
    except (zipfile.BadZipFile, zlib.error, struct.error, EOFError) as exc:
        raise MalformedFile(f"'{path.name}' is not a valid zip archive; zip the .shp, .shx, "
                            ".dbf and .prj files of one Shapefile together") from exc
    return [m.filename for m in members]


def _check_members(path: Path, members: list[zipfile.ZipInfo], limits: ImportLimits) -> None:
    if limits.max_archive_members is not None and len(members) > limits.max_archive_members:
        raise PayloadTooLarge(f"'{path.name}' holds {len(members)} files, more than the "
                              f"{limits.max_archive_members} allowed "
                              "(GRIDMAP_MAX_ARCHIVE_MEMBERS); zip one Shapefile's files only")
    nested = [m.filename for m in members if m.filename.lower().endswith(NESTED)]
    if nested:
        raise MalformedFile(f"'{path.name}' holds archives inside ({', '.join(nested[:3])}): "
                            "unpack them and zip the Shapefile's own files")
    odd = [m.filename for m in members
           if m.flag_bits & 0x1 or m.compress_type not in (zipfile.ZIP_STORED,
                                                           zipfile.ZIP_DEFLATED)]
    if odd:
        raise MalformedFile(f"'{path.name}' holds encrypted or unusually compressed files "
                            f"({', '.join(odd[:3])}): zip them again without a password, "
                            "with the usual (deflate) compression")


def _budget(path: Path, limits: ImportLimits) -> int | None:
    """Most bytes the archive may unpack to under both limits (None: no limit)."""
    caps = []
    if limits.max_archive_bytes is not None:
        caps.append(limits.max_archive_bytes)
    if limits.max_archive_ratio is not None:
        caps.append(max(RATIO_FLOOR, int(limits.max_archive_ratio * path.stat().st_size)))
    return min(caps) if caps else None


def _measure(path: Path, raw: BinaryIO, members: list[zipfile.ZipInfo],
             limits: ImportLimits) -> int:
    """Bytes the members really unpack to; PayloadTooLarge once past the budget."""
    budget = _budget(path, limits)
    total = 0
    for member in members:
        left = None if budget is None else budget - total
        size = _unpacked_size(raw, member, left)
        total += size
        if budget is not None and total > budget:
            raise _too_large(path, total, limits)
        if size != member.file_size:
            raise MalformedFile(f"'{path.name}' is damaged or forged: its directory says "
                                f"'{member.filename}' unpacks to {member.file_size} bytes, "
                                f"but it unpacks to {size}; zip the files again")
    return total


def _unpacked_size(raw: BinaryIO, member: zipfile.ZipInfo, budget: int | None) -> int:
    """The real unpacked size of ``member``, read from its own data (not the directory's
    sizes); it stops a little past ``budget`` bytes."""
    raw.seek(member.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
    if signature != _LOCAL_SIGNATURE:
        raise zipfile.BadZipFile(f"no local header for {member.filename}")
    raw.seek(name_length + extra_length, 1)
    if member.compress_type == zipfile.ZIP_STORED:
        return member.compress_size  # stored bytes unpack to themselves: no bomb possible
    inflate, size = zlib.decompressobj(-zlib.MAX_WBITS), 0
    while not inflate.eof and (budget is None or size <= budget):
        data = inflate.unconsumed_tail or raw.read(CHUNK)
        if not data:
            raise EOFError(f"{member.filename} ends early")
        size += len(inflate.decompress(data, CHUNK))
    return size


def _too_large(path: Path, unpacked: int, limits: ImportLimits) -> PayloadTooLarge:
    if limits.max_archive_bytes is not None and unpacked > limits.max_archive_bytes:
        return PayloadTooLarge(f"'{path.name}' unpacks to more than the "
                               f"{limits.max_archive_bytes / 1e6:.1f} MB allowed "
                               "(GRIDMAP_MAX_ARCHIVE_BYTES); split the data into several "
                               "files", unpacked_bytes=unpacked)
    ratio = unpacked / max(path.stat().st_size, 1)
    return PayloadTooLarge(f"'{path.name}' unpacks to more than {ratio:.0f} times its size, "
                           f"more than the {limits.max_archive_ratio:g} allowed "
                           "(GRIDMAP_MAX_ARCHIVE_RATIO): real Shapefiles pack far less; "
                           "check the file, or send it unzipped as GeoPackage",
                           unpacked_bytes=unpacked)
