"""The planner workbench (``/map/plans``): one page from "this grid is too big" to an applied plan.

A side panel (layers/workbench_panel.py) holds the area picker, the area's problems (grids out
of their household range, topology problems), the 生成方案 form, the plans list and the chosen
plan's review with 撤销 / 应用 / 驳回. Without a plan the map shows the area's grids and
problems; with one, current and proposed grids side by side (layers/plans.py) with the hand
editor (layers/plan_edit.py) on the proposed map. Data comes from gis/ (EPSG:4490, drawn as
lon/lat); the page writes only through the JSON API (layers/static/workbench.js).
"""

from __future__ import annotations

from typing import cast

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure, JavascriptLink
from sqlalchemy.orm import Session

from gis import plans
from gis.access import jurisdiction
from gis.access.callers import Caller
from gis.core import frames
from gis.grids import grid_load, qa, registry
from gis.grids.household_rules import LoadRules
from gis.places import regions
from layers import assets, elements, page, shell
from layers import plans as plan_layers
from layers import qa as qa_layers
from layers import workbench_panel as panel
from layers import workbench_staffing as staff

WORKBENCH_JS = f"{assets.STATIC}/gridmap/workbench.js"
PANEL_PX = 330
"""Width of the side panel; the maps take the rest (two 518 px maps at 1366 px)."""


def _areas(session: Session, scope: str | None) -> pd.DataFrame:
    """Subdistricts and communities inside the caller's region ``scope``: code, name, level."""
    frames = [regions.list_regions(session, level=level) for level in ("subdistrict",
                                                                          "community")]
    areas = pd.concat([f[["code", "name", "level"]] for f in frames], ignore_index=True)
    return areas[jurisdiction.inside_series(areas["code"], scope).to_numpy()]


def _area_state(session: Session, caller: Caller, scope: str | None,
                rules: LoadRules) -> dict:
    """The area's unified grids (EPSG:4490), their load check and topology problems."""
    if scope is None:
        empty = gpd.GeoDataFrame({"check": []}, geometry=[], crs=4490)
        return {"grids": None, "load": pd.DataFrame(columns=["code", "households", "reason",
                                                            "status", "locked"]),
                "issues": empty}
    return {"grids": registry.list_grids(session, theme="unified", scope=scope),
            "load": grid_load.list_grid_load(session, scope_code=scope, rules=rules,
                                             scope=caller.scope),
            "issues": qa.list_qa_issues(session, theme="unified", scope_code=scope,
                                        scope=caller.scope)}


def render_workbench(session: Session, caller: Caller, *, scope_code: str | None,
                     plan_id: int | None, rules: LoadRules, csrf: str | None) -> str:
    """The workbench page for area ``scope_code`` (default: the plan's area, else the
    caller's region) and plan ``plan_id`` (optional; NotFound outside the caller's region)."""
    review = None
    if plan_id is not None:
        plan = plans.get_plan_in_scope(session, plan_id, caller.scope)
        scope_code = scope_code or plan.scope_code
        review = plans.plan_review(session, plan.id)
    scope = jurisdiction.narrow(scope_code, caller.scope)
    state = _area_state(session, caller, scope, rules)
    grids = state["grids"]
    fmap = page.base_map(page.frame_bounds(*(f for f in (grids, state["issues"])
                                             if f is not None)), title="网格调整工作台")
    if review is not None:
        right = plan_layers.second_map(fmap)
        plan_layers.add_review(fmap, right, review)
        maps = [fmap.get_name(), right.get_name()]
    else:
        _current_grids(fmap, grids, rules)
        maps = [fmap.get_name()]
    if not state["issues"].empty:
        qa_layers.qa_layer(state["issues"], name="拓扑问题").add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    side = _side_panel(session, caller, scope, rules, state, review, plan_id)
    _add_frame(fmap, caller, side, maps, csrf)
    return page.render(fmap)


def _current_grids(fmap: folium.Map, grids: gpd.GeoDataFrame | None, rules: LoadRules) -> None:
    if grids is None or grids.empty:
        return
    plan_layers.grid_layer(grids, name="现状统一网格", rules=rules).add_to(fmap)
    plan_layers.number_layer(grids, plan_layers.short_code(grids["code"]),
                             name="网格编号").add_to(fmap)
    fmap.add_child(page.Panel(page.legend_html("户数", plan_layers.load_classes(rules)),
                              position="bottomleft", css_class="gm-panel gm-legend"))


def _side_panel(session: Session, caller: Caller, scope: str | None, rules: LoadRules,
                state: dict, review: dict | None, plan_id: int | None) -> str:
    load = state["load"]
    locked = load.loc[load["locked"].astype(bool), "code"].tolist() if not load.empty else []
    listing = plans.list_plans(session, scope_code=scope, scope=caller.scope) if scope \
        else plans.list_plans(session, scope=caller.scope)
    parts = [panel.picker_html(_areas(session, caller.scope), scope)]
    if review is not None:
        report = review["report"]
        parts += [panel.review_html(report, plans.undo_depth(review["plan"]),
                                    _staffing(session, review)),
                  panel.confirm_html(report)]
    parts += [panel.qa_html(load, state["issues"], qa.CHECKS),
              panel.generate_html(scope, rules, locked), panel.plans_html(listing, scope,
                                                                        plan_id)]
    return ('<aside class="gm-bench" aria-label="网格调整工作台"><h3>网格调整工作台</h3>'
            + "".join(parts) + "</aside>")


def _staffing(session: Session, review: dict) -> str:
    """The staffing panel of a draft: its new grids' workers and the workers to pick from."""
    plan = review["plan"]
    if plan.status != "draft":
        return ""
    candidates = frames.records_from_frame(plans.list_worker_candidates(session, plan))
    return staff.staffing_html(review["report"], candidates)


def _add_frame(fmap: folium.Map, caller: Caller, side: str, maps: list[str],
               csrf: str | None) -> None:
    """The shell, the side panel, the maps beside it and the workbench's script."""
    shell.add_shell(fmap, caller, active="/map/plans", csrf=csrf)
    figure = cast(Figure, fmap.get_root())
    width = f"calc((100% - {PANEL_PX}px) / {len(maps)})"
    css = "".join(f"#{name} {{ left: calc({PANEL_PX}px + {i} * {width}) !important; "
                  f"width: {width} !important; }}" for i, name in enumerate(maps))
    figure.header.add_child(elements.RawHtml(f"<style>.gm-bench {{ width: {PANEL_PX}px; }} {css}"
                                    "</style>"), name="gm_bench_css")
    figure.header.add_child(JavascriptLink(WORKBENCH_JS), name="gm_workbench_js")
    figure.html.add_child(elements.RawHtml(side), name="gm_bench")
