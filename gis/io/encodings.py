"""The text encoding of files that do not declare one (a Shapefile without ``.cpg``, a CSV,
a DXF): UTF-8 when the bytes decode as UTF-8, else GB18030 (what Chinese Windows and Excel
write: a superset of GBK and GB2312), else charset-normalizer's best guess."""

from __future__ import annotations

import codecs
import zipfile
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

SAMPLE = 4 * 1024 * 1024
"""Bytes judged at most: a large file's start tells its encoding."""


@dataclass(frozen=True)
class Encoding:
    """An encoding (a Python codec name) and how it was known, as the import report says it."""

    name: str
    how: str

    def label(self) -> str:
        return f"{self.name} ({self.how})"


def _decodes(raw: bytes, codec: str) -> bool:
    """Whether ``raw`` (maybe cut mid-character at its end) decodes as ``codec``."""
    try:
        codecs.getincrementaldecoder(codec)().decode(raw, final=len(raw) < SAMPLE)
        return True
    except UnicodeDecodeError:
        return False


def guess(raw: bytes) -> str:
    """UTF-8, GB18030 or charset-normalizer's guess for ``raw``; ASCII counts as UTF-8."""
    raw = raw[:SAMPLE]
    if _decodes(raw, "utf-8"):
        return "UTF-8"
    if _decodes(raw, "gb18030"):
        return "GB18030"
    best = charset_normalizer.from_bytes(raw).best()
    return best.encoding if best is not None else "GB18030"


def of_text(path: Path) -> Encoding:
    """The encoding of a text file (CSV); a UTF-8 byte-order mark counts as declared."""
    raw = _head(path)
    if raw.startswith(b"\xef\xbb\xbf"):
        return Encoding("UTF-8", "byte-order mark")
    return Encoding(guess(raw), "detected")


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(SAMPLE)


def _dbf_records(raw: bytes) -> bytes:
    """The record bytes of a .dbf (past its header, whose length is at bytes 8-9)."""
    header = int.from_bytes(raw[8:10], "little") if len(raw) >= 10 else 0
    return raw[header:].rstrip(b"\x1a")


def of_shapefile(path: Path) -> Encoding | None:
    """The encoding of the zipped (or plain .shp) Shapefile ``path``: None when its ``.cpg``
    declares one (GDAL follows it), else detected from the ``.dbf`` records."""
    if path.suffix.lower() == ".shp":
        if path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists():
            return None
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF"))
                    if p.exists()), None)
        raw = _head(dbf) if dbf else b""
    else:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if any(n.lower().endswith(".cpg") for n in names):
                return None
            dbf_name = next((n for n in names if n.lower().endswith(".dbf")), None)
            raw = b""
            if dbf_name:
                with archive.open(dbf_name) as member:
                    raw = member.read(SAMPLE)
    return Encoding(guess(_dbf_records(raw)), "detected: no .cpg")
