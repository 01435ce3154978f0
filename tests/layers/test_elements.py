"""Text from data never runs as a template on the server: a name or description holding
Jinja syntax (``{{ … }}``, ``{% … %}``) reaches the page as the characters it is."""

from __future__ import annotations

import folium
from branca.element import Figure
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import elements

PAYLOAD = "{{ 7770000 + 777 }}{% if true %}JINJA_RAN{% endif %}"
EVALUATED = "7770777"


def test_raw_html_is_rendered_as_a_value() -> None:
    figure = Figure()
    figure.html.add_child(elements.RawHtml(f"<div>{PAYLOAD}</div>"))
    page = figure.render()
    assert PAYLOAD in page and EVALUATED not in page


def test_folium_layer_data_is_not_evaluated() -> None:
    """folium adds each layer's rendered script to the page through branca's Element, which
    compiled it as a template again: a popup's text would run (layers.elements stops it)."""
    fmap = folium.Map(tiles=None)
    point = {"type": "Feature", "id": 0, "properties": {"popup": PAYLOAD},
             "geometry": {"type": "Point", "coordinates": [119.2, 34.6]}}
    folium.GeoJson({"type": "FeatureCollection", "features": [point]},
                   popup=folium.GeoJsonPopup(fields=["popup"])).add_to(fmap)
    page = fmap.get_root().render()
    assert PAYLOAD in page and EVALUATED not in page


def test_a_grid_name_with_template_syntax_shows_as_written(demo_client: TestClient,
                                                           demo_session: Session) -> None:
    code = demo_session.execute(text(
        "UPDATE grid SET name = :n WHERE id = (SELECT min(id) FROM grid "
        "WHERE theme = 'unified' AND valid_to IS NULL) RETURNING code"), {"n": PAYLOAD}).scalar()
    answer = demo_client.get("/ogc/collections/grids/items",
                             params={"f": "html", "code": code})
    assert answer.status_code == 200, answer.text[:300]
    assert PAYLOAD in answer.text and EVALUATED not in answer.text
    assert answer.text.count("JINJA_RAN") == answer.text.count(PAYLOAD)
