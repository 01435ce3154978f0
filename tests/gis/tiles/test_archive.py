"""PMTiles export (gis.tiles.archive): the archive read back with the ``pmtiles`` reader
(header, zooms, bounds, metadata) and its tiles decoded with mapbox_vector_tile."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import mapbox_vector_tile
import pytest
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression, TileType
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app, main
from gis.core.errors import InvalidInput, NotFound
from gis.core.settings import get_settings
from gis.tiles import archive
from tests import dbs
from tests.layers.scene import BIG, EAST, NORTH, SMALL, SOUTH, WEST, make_scene

LAYERS = ("grids", "buildings", "facilities")


def decoded(data: bytes) -> dict:
    return mapbox_vector_tile.decode(gzip.decompress(data))


def codes(tile: dict, layer: str) -> set[str]:
    return {f["properties"]["code"] for f in tile.get(layer, {}).get("features", [])}


def test_archive_reads_back_with_header_zooms_bounds_and_features(session: Session,
                                                                  tmp_path: Path):
    make_scene(session)
    path = tmp_path / "scene.pmtiles"
    seen: list[tuple[int, int]] = []
    report = archive.export_archive(session, path, layers=LAYERS, zooms=(13, 16),
                                    progress=lambda done, total: seen.append((done, total)))
    with path.open("rb") as f:
        reader = Reader(MmapSource(f))
        header, metadata = reader.header(), reader.metadata()
        assert header["tile_type"] == TileType.MVT
        assert header["tile_compression"] == Compression.GZIP
        assert (header["min_zoom"], header["max_zoom"]) == (13, 16)
        assert (header["min_lon_e7"], header["min_lat_e7"], header["max_lon_e7"],
                header["max_lat_e7"]) == tuple(round(v * 1e7) for v in (WEST, SOUTH, EAST, NORTH))
        assert [layer["id"] for layer in metadata["vector_layers"]] == list(LAYERS)
        tiles = {zxy: decoded(data) for zxy, data in all_tiles(reader.get_bytes)}
        # building B-N1 (119.205-119.207, 34.612-34.614) at z16, and the clinic at 119.212,34.615
        x, y0, _, _ = archive.tile_range((119.206, 34.613, 119.206, 34.613), 16)
        north = decoded(reader.get(16, x, y0))
    assert report.tiles == header["addressed_tiles_count"] == len(tiles) > 4
    assert seen[-1][0] == seen[-1][1] >= report.tiles
    assert {z for z, _, _ in tiles} == {13, 14, 15, 16}
    for z, x_, y_ in tiles:  # every tile meets the data's extent
        x0, y0_, x1, y1 = archive.tile_range((WEST, SOUTH, EAST, NORTH), z)
        assert x0 <= x_ <= x1 and y0_ <= y_ <= y1
    assert BIG in codes(north, "grids")
    assert "B-N1" in codes(north, "buildings") and "B-S1" not in codes(north, "buildings")
    building = next(f for f in north["buildings"]["features"] if f["properties"]["code"] == "B-N1")
    assert building["properties"]["households"] == 600
    assert building["geometry"]["type"] == "Polygon"
    everything = set().union(*(codes(t, "facilities") for t in tiles.values()))
    assert everything == {"F-CL", "F-PC"}


def test_only_the_chosen_layers_and_zooms(session: Session, tmp_path: Path):
    make_scene(session)
    path = tmp_path / "grids.pmtiles"
    archive.export_archive(session, path, layers=["grids"], zooms=(12, 12))
    with path.open("rb") as f:
        reader = Reader(MmapSource(f))
        tiles = [decoded(data) for _, data in all_tiles(reader.get_bytes)]
    assert len(tiles) == 1 and set(tiles[0]) == {"grids"}
    assert codes(tiles[0], "grids") == {BIG, SMALL}


def test_bad_requests_are_refused(session: Session, tmp_path: Path):
    with pytest.raises(NotFound, match="nothing to export"):
        archive.export_archive(session, tmp_path / "x.pmtiles", layers=["grids"], zooms=(12, 13))
    assert not list(tmp_path.iterdir())  # no half-written archive left
    with pytest.raises(NotFound, match="no tile layer 'roads'"):
        archive.parse_layers("grids,roads")
    for text in ("12-30", "17-12", "z12"):
        with pytest.raises(InvalidInput):
            archive.parse_zoom(text)
    assert archive.parse_zoom("15") == (15, 15)


def test_gridmap_export_tiles_command(demo_engine, base_settings, monkeypatch, tmp_path: Path):
    path = tmp_path / "demo.pmtiles"
    with dbs.cli_pointed_at(demo_engine, base_settings, monkeypatch):
        result = CliRunner().invoke(app, ["export", "tiles", str(path), "--layers",
                                          "grids,facilities", "--zoom", "12-13"])
        wrong = CliRunner().invoke(app, ["export", "tiles", str(tmp_path / "a.mbtiles")])
    assert result.exit_code == 0, result.output
    assert "written to" in result.output and "zoom 12-13" in result.output
    with path.open("rb") as f:
        reader = Reader(MmapSource(f))
        assert (reader.header()["min_zoom"], reader.header()["max_zoom"]) == (12, 13)
        layers = set().union(*(decoded(d) for _, d in all_tiles(reader.get_bytes)))
    assert layers == {"grids", "facilities"}
    assert wrong.exit_code != 0 and ".pmtiles" in wrong.output


def test_a_basemap_setting_that_cannot_work_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("GRIDMAP_BASEMAP", "tianditu")  # no GRIDMAP_TIANDITU_KEY
    monkeypatch.delenv("GRIDMAP_TIANDITU_KEY", raising=False)
    monkeypatch.setattr(sys, "argv", ["gridmap", "export", "tiles", "x.pmtiles"])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            main()
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert exited.value.code == 1 and err.count("\n") == 1
    assert "GRIDMAP_TIANDITU_KEY" in err and "Traceback" not in err
