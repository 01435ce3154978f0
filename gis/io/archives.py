"""Limits of imported archives (zipped Shapefiles), checked from the zip's directory before
anything is extracted or read: a 0.25 MB zip can unpack to gigabytes."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

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


def check_zip(path: Path, limits: ImportLimits) -> None:
    """Refuse ``path`` (PayloadTooLarge, 413) when its members are too many, unpack to too
    much or pack too well, or MalformedFile when it holds archives inside."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise MalformedFile(f"'{path.name}' is not a valid zip archive; zip the .shp, .shx, "
                            ".dbf and .prj files of one Shapefile together") from exc
    if limits.max_archive_members is not None and len(members) > limits.max_archive_members:
        raise PayloadTooLarge(f"'{path.name}' holds {len(members)} files, more than the "
                              f"{limits.max_archive_members} allowed "
                              "(GRIDMAP_MAX_ARCHIVE_MEMBERS); zip one Shapefile's files only")
    nested = [m.filename for m in members if m.filename.lower().endswith(NESTED)]
    if nested:
        raise MalformedFile(f"'{path.name}' holds archives inside ({', '.join(nested[:3])}): "
                            "unpack them and zip the Shapefile's own files")
    unpacked = sum(m.file_size for m in members)
    if limits.max_archive_bytes is not None and unpacked > limits.max_archive_bytes:
        raise PayloadTooLarge(f"'{path.name}' unpacks to {unpacked / 1e6:.1f} MB, more than "
                              f"the {limits.max_archive_bytes / 1e6:.1f} MB allowed "
                              "(GRIDMAP_MAX_ARCHIVE_BYTES); split the data into several "
                              "files", unpacked_bytes=unpacked)
    ratio = unpacked / max(path.stat().st_size, 1)
    if (limits.max_archive_ratio is not None and unpacked > RATIO_FLOOR
            and ratio > limits.max_archive_ratio):
        raise PayloadTooLarge(f"'{path.name}' unpacks to {ratio:.0f} times its size, more "
                              f"than the {limits.max_archive_ratio:g} allowed "
                              "(GRIDMAP_MAX_ARCHIVE_RATIO): real Shapefiles pack far less; "
                              "check the file, or send it unzipped as GeoPackage",
                              unpacked_bytes=unpacked)
