"""The dispatcher console page (layers/console.py): labelled controls, Chinese choices, the
caller's grids only, offline assets, the shell."""

from __future__ import annotations

import json
import re

from sqlalchemy.orm import Session

from gis.access.callers import Caller
from gis.events.categories import CATEGORIES
from layers import console
from tests.builders import SUBDISTRICT, make_grid, make_region, square

LABELS = ("搜索", "坐标系", "地址", "类别", "渠道", "描述", "报告人", "电话")


def _panel(page: str) -> str:
    """The console panel's HTML as the browser gets it (folium passes it as a JS string)."""
    found = re.search(r'innerHTML = ("(?:[^"\\]|\\.)*gm-search(?:[^"\\]|\\.)*");', page)
    assert found, "no console panel"
    return str(json.loads(found.group(1)))


def test_every_control_has_its_chinese_label() -> None:
    panel = console.search_html() + console.intake_html() + console.queue_html()
    for label in LABELS:
        ident = re.search(rf'<label for="([\w-]+)">{label}</label>', panel)
        assert ident, label
        assert f'id="{ident.group(1)}"' in panel, label  # the label names a control
    assert '<button type="submit">提交</button>' in panel and "<h3>待定位</h3>" in panel
    for category in CATEGORIES:
        assert f'<option value="{category.code}">{category.label_zh}</option>' in panel
    assert '<option value="12345" selected>12345热线</option>' in panel
    assert 'value="gcj02"' in panel and 'value="bd09"' in panel


def test_console_page_shows_the_callers_grids_and_loads_offline(session: Session) -> None:
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    for community, lon, code in (("320706013001", 119.20, "G-IN"),
                                 ("320706014001", 119.23, "G-OUT")):
        make_region(session, code=community, geom=square(lon, 34.60, 0.02))
        make_grid(session, code=code, name=f"{code}<网格>", community_code=community,
                  geom=square(lon, 34.60, 0.01))
    caller = Caller(role="dispatcher", region_code=SUBDISTRICT, key_id=1)
    page = console.render_console(session, caller, csrf="tok-123")
    assert "G-IN" not in page and console.LAYERS_URL in page  # the grids come after load
    seen = page + json.dumps(console.console_layers(session, caller))
    assert "G-IN" in seen and "G-OUT" not in seen
    # the tooltip shows the name as text, not markup (&, < and > come \u-escaped in JSON)
    assert r"G-IN G-IN&lt;\u7f51\u683c&gt;" in seen
    box = console.console_layers(session, caller, bbox=(119.15, 34.55, 119.19, 34.59))
    assert box["layers"]["grids"]["features"] == []  # west of G-IN: nothing in view
    assert '<meta name="gm-csrf" content="tok-123">' in page
    assert 'aria-current="page"' in page and 'href="/map/dispatch"' in page
    assert console.CONSOLE_JS in page and console.CONSOLE_CSS in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from another host
    panel = _panel(page)
    assert all(f">{label}</label>" in panel for label in LABELS)
    config = json.loads(re.search(r"gmConsole\.start\(\w+, (\{.*\})\);", page).group(1))
    assert config["scope"] == SUBDISTRICT and config["places"] is True
    assert config["categories"]["noise"] == "噪音扰民"
    worker = Caller(role="grid_worker", region_code=SUBDISTRICT, key_id=2)
    assert console.console_config(worker)["places"] is False  # only dispatchers place events
