"""Topology QA: ``GET /api/v1/qa`` (report + GeoJSON) and ``GET /map/qa`` (the map layer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.access import PlanningCallerDep, ReaderDep
from api.deps import PageCsrfDep, SessionDep, SettingsDep
from api.schemas.common import errors
from api.schemas.qa import QaReport
from gis.access import jurisdiction
from gis.core import frames
from gis.grids import grid_load, household_rules, qa, registry
from layers import page, shell
from layers import qa as qa_layers

router = APIRouter(tags=["qa"],
                   responses=errors(401, 403, 404, 422))
Scope = Annotated[str | None, Query(description="community/subdistrict/district code")]


@router.get("/api/v1/qa", response_model=QaReport,
            response_model_exclude_unset=True)
def qa_report(session: SessionDep, caller: ReaderDep, scope: Scope = None,
              theme: str | None = None, sliver_m2: float = qa.SLIVER_M2) -> dict:
    """Overlaps, gaps, slivers, grids crossing communities, cut and orphan buildings."""
    issues = qa.list_qa_issues(session, theme=theme, scope_code=scope, sliver_m2=sliver_m2,
                               scope=caller.scope)
    summary = qa.summary_from_issues(issues)
    return {"scope": scope, "theme": theme, "summary": summary.to_dict(orient="records"),
            "issues": frames.feature_collection_from_frame(issues, id_column=None)}


@router.get("/map/qa", response_class=HTMLResponse)
def qa_map(session: SessionDep, caller: PlanningCallerDep, settings: SettingsDep,
           csrf: PageCsrfDep, scope: Scope = None, theme: str = "unified") -> str:
    """Grids out of their household range (with households and reason) and the topology
    problems of one layer, drawn over its grids (offline page; planners, within their
    region: a region-limited planner's default scope is that region)."""
    scope = jurisdiction.narrow(scope, caller.scope)
    issues = qa.list_qa_issues(session, theme=theme, scope_code=scope, scope=caller.scope)
    layer = registry.list_grids(session, theme=theme, community_code=None, scope=scope)
    load = grid_load.list_grid_load(session, theme=theme, scope_code=scope,
                                    rules=household_rules.rules_from(settings),
                                    scope=caller.scope)
    fmap = qa_layers.qa_page(issues, layer, title=f"拓扑检查 {scope or ''} ({theme})",
                             labels=qa.CHECKS, load=load)
    shell.add_shell(fmap, caller, active="/map/plans", csrf=csrf)
    return page.render(fmap)
