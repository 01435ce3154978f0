"""Files that do not declare their text encoding: GBK Shapefiles without .cpg, GBK CSVs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text

from gis import io
from gis.io import encodings
from tests.gis.iofiles import building_frame, grid_frame, write

NAMES = ["第1网格", "第2网格", "第3网格"]


def gbk_shapefile_without_cpg(folder: Path) -> Path:
    """A zipped Shapefile whose .dbf is GBK, with no .cpg and no code page byte (LDID 0),
    as Chinese desktop GIS software often writes them."""
    shp = folder / "grids.shp"
    write(grid_frame(3), shp, encoding="GBK")
    dbf = bytearray(shp.with_suffix(".dbf").read_bytes())
    dbf[29] = 0
    shp.with_suffix(".dbf").write_bytes(bytes(dbf))
    assert "第1网格".encode("gbk") in dbf
    target = folder / "grids.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            archive.write(shp.with_suffix(ext), f"grids{ext}")
    return target


def names(session) -> list[str]:  # type: ignore[no-untyped-def]
    return list(session.execute(text("SELECT name FROM grid ORDER BY code")).scalars())


def test_gbk_shapefile_without_cpg_reads_back_intact(session, tmp_path: Path) -> None:
    report = io.import_file(session, "grids", gbk_shapefile_without_cpg(tmp_path))
    assert report.encoding == "GB18030 (detected: no .cpg)"
    assert names(session) == NAMES


def test_shapefile_with_cpg_is_left_to_its_declaration(session, tmp_path: Path) -> None:
    report = io.import_file(session, "grids", write(grid_frame(3), tmp_path / "g.shp.zip"))
    assert report.encoding is None and names(session) == NAMES


@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
def test_gbk_csv_reads_back_intact(session, tmp_path: Path, codec: str) -> None:
    frame = building_frame(2)
    frame["compound"] = ["幸福小区", "锦绣花园"]
    path = write(frame, tmp_path / "b.csv")
    path.write_bytes(path.read_text(encoding="utf-8").encode(codec))
    report = io.import_file(session, "buildings", path)
    assert report.encoding == "GB18030 (detected)" and report.written == 2
    rows = session.execute(text("SELECT address, compound FROM building ORDER BY code")).all()
    assert [tuple(r) for r in rows] == [("海州区幸福路1号", "幸福小区"),
                                        ("海州区幸福路2号", "锦绣花园")]


def test_utf8_csv_says_so(session, tmp_path: Path) -> None:
    report = io.import_file(session, "buildings", write(building_frame(1), tmp_path / "b.csv"))
    assert report.encoding == "UTF-8 (detected)"


def test_guess_tells_utf8_gb18030_and_others_apart() -> None:
    assert encodings.guess("海州区".encode()) == "UTF-8"
    assert encodings.guess("海州区幸福路".encode("gbk")) == "GB18030"
    assert encodings.guess(b"plain ascii") == "UTF-8"
    cut = "海州区".encode() * (encodings.SAMPLE // 9 + 1)
    assert encodings.guess(cut[:encodings.SAMPLE]) == "UTF-8"  # cut mid-character
