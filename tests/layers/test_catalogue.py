"""The layer catalogue: complete entries, household classes, and facility types matching the
schema's."""

from __future__ import annotations

import pandas as pd
import pytest

from gis.models.admin import GRID_THEMES
from gis.models.facilities import FACILITY_TYPES
from gis.tiles.mvt import TILE_LAYERS
from layers import catalogue
from layers.grids import THEME_LABELS

CHINESE = range(0x4E00, 0xA000)


def has_chinese(text: str) -> bool:
    return any(ord(ch) in CHINESE for ch in text)


def test_every_planned_layer_is_catalogued():
    assert {"grids", "grid_labels", "communities", "buildings", "facilities", "water", "events",
            "circles", "plans"} <= set(catalogue.LAYERS)


@pytest.mark.parametrize("key", list(catalogue.LAYERS))
def test_each_layer_is_complete(key: str):
    layer = catalogue.get_layer(key)
    assert layer.key == key
    assert has_chinese(layer.label)
    assert layer.source.startswith("gis.")
    assert layer.attributes, "a layer shows at least one attribute"
    assert all(has_chinese(a.label) for a in layer.attributes)
    assert 0 <= layer.min_zoom <= layer.max_zoom <= 22
    assert all(has_chinese(e.label) and e.color.startswith("#") for e in layer.legend)


def test_tile_layers_agree_with_the_tile_service():
    tiled = {layer.tile: layer for layer in catalogue.LAYERS.values() if layer.tile}
    assert set(tiled) == set(TILE_LAYERS)
    for name, layer in tiled.items():
        assert layer.public == TILE_LAYERS[name].public


def test_grid_popup_shows_load_and_public_contact():
    fields = {a.field: a for a in catalogue.get_layer("grids").attributes}
    assert fields["households"].unit == "户" and fields["residents"].unit == "人"
    assert fields["area_km2"].unit == "km²"
    assert {"name", "code", "open_events", "worker_name", "worker_phone",
            "supervision_phone"} <= set(fields)


def test_facility_types_cover_the_schema_with_distinct_icons():
    assert set(catalogue.FACILITY_TYPES) == set(FACILITY_TYPES)
    symbols = [symbol for _, symbol, _ in catalogue.FACILITY_TYPES.values()]
    assert len(set(symbols)) == len(symbols)
    assert len(catalogue.get_layer("facilities").legend) == len(FACILITY_TYPES)


def test_every_grid_theme_has_a_chinese_label():
    assert set(THEME_LABELS) == set(GRID_THEMES)


@pytest.mark.parametrize(("households", "expected"), [
    (0, 0), (299, 0), (300, 1), (399, 1), (400, 2), (500, 2), (501, 3), (5000, 3), (None, 0)])
def test_household_classes_single_out_under_300_and_over_500(households, expected):
    assert catalogue.household_class(pd.Series([households])).tolist() == [expected]


def test_household_legend_names_the_thresholds_in_hu():
    labels = [e.label for e in catalogue.HOUSEHOLD_CLASSES]
    assert "300" in labels[0] and "500" in labels[-1]
    assert all("户" in label for label in labels)


def test_unknown_layer_names_the_known_ones():
    with pytest.raises(KeyError, match="grids"):
        catalogue.get_layer("nope")


@pytest.mark.parametrize("key", list(catalogue.LAYERS))
def test_each_source_is_a_real_read_service(key: str):
    import importlib

    module_name, _, function = catalogue.get_layer(key).source.rpartition(".")
    assert callable(getattr(importlib.import_module(module_name), function, None)), \
        f"layer {key}: {module_name}.{function} does not exist"


def test_thematic_and_exempt_grids_are_not_classed_by_households() -> None:
    """/map?theme=party: party grids hold several unified grids' households by design; they
    and exempt kinds (schools, markets…) are NOT_JUDGED, not "too big" or "too small"."""
    households = pd.Series([900, 20, 900, 20])
    kinds = pd.Series(["residential", "special", "residential", "residential"])
    themes = pd.Series(["party", "unified", "unified", "unified"])
    assert catalogue.grid_class(households, kinds, themes).tolist() == [4, 4, 3, 0]
    assert catalogue.GRID_CLASSES[4] == catalogue.NOT_JUDGED
    assert catalogue.get_layer("grids").legend == catalogue.GRID_CLASSES
