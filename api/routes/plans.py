"""Plans (balance, 多格合一 merge): draft, review, apply, reject; building grid history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.access import CurrentPlan, PlannerDep, PlanningCallerDep, ReaderDep
from api.deps import PageCsrfDep, SessionDep, SettingsDep
from api.etags import IfMatch, set_etag
from api.schemas.buildings import GridHistory
from api.schemas.common import errors
from api.schemas.plans import AppliedPlan, PlanReport, WorkerCandidates
from gis import plans
from gis.core import frames
from gis.grids import household_rules
from gis.plans.load import LoadWeights
from layers import workbench as workbench_layers

PageScope = Annotated[str | None, Query(pattern=r"^[0-9]{12}$",
                                        description="community or subdistrict code")]
router = APIRouter(tags=["plans"],
                   responses=errors(401, 403, 422))


class PlanRequest(BaseModel):
    """A plan to draw: kind, scope (community or subdistrict code) and optional rules."""

    kind: Literal["balance", "merge"]
    scope: str = Field(pattern=r"^[0-9]{12}$", description="community or subdistrict code")
    themes: list[Literal["party", "security", "civil", "urban"]] = Field(
        default_factory=list, description="merge: thematic layers (default party, security, "
                                          "civil)")
    residential_min: int | None = None
    residential_max: int | None = None
    rural_min: int | None = None
    rural_max: int | None = None
    seed: int = 0
    barriers: bool = Field(False, description="roads wider than a lane, railways and water "
                                              "part grids (no grid crosses them)")
    weights: LoadWeights | None = Field(None, description="load beyond households: events a "
                                                          "month, special groups, area (see "
                                                          "README: 网格负荷权重)")


@router.post("/api/v1/plans", status_code=201, response_model=PlanReport, responses=errors(404),
             response_model_exclude_unset=True)
def create_plan(body: PlanRequest, session: SessionDep, caller: PlannerDep,
                settings: SettingsDep, response: Response) -> dict:
    """Draw a plan (planner) inside the key's region; it stays a draft until applied or
    rejected. ``ETag``: its version."""
    used = household_rules.rules_with(household_rules.rules_from(settings),
                                      residential_min=body.residential_min,
                                      residential_max=body.residential_max,
                                      rural_min=body.rural_min, rural_max=body.rural_max)
    plan = plans.create_plan(session, kind=body.kind, scope_code=body.scope,
                             created_by=caller.name, themes=body.themes, rules=used,
                             seed=body.seed, scope=caller.scope, barriers=body.barriers,
                             weights=body.weights)
    set_etag(response, plan.version)
    return plans.plan_report(session, plan.id)


@router.get("/api/v1/plans/{plan_id}", response_model=PlanReport, responses=errors(404),
            response_model_exclude_unset=True)
def get_plan(caller: ReaderDep, plan: CurrentPlan, session: SessionDep,
             response: Response) -> dict:
    """A plan with metrics before/after, proposed grids (GeoJSON) and the crosswalk; 404 for
    a plan outside the key's region. ``ETag``: its version, for ``If-Match`` on writes."""
    set_etag(response, plan.version)
    return plans.plan_report(session, plan.id)


class PlanEdit(BaseModel):
    """One manual edit: move (buildings, to_seq), merge (seqs), split (seq, line) or replace
    (seq, polygon); geometry is GeoJSON in lon/lat (EPSG:4490/WGS84)."""

    op: Literal["move", "merge", "split", "replace"]
    buildings: list[str] = Field(default_factory=list)
    to_seq: int | None = None
    seqs: list[int] = Field(default_factory=list)
    seq: int | None = None
    line: dict | None = None
    polygon: dict | None = None


@router.post("/api/v1/plans/{plan_id}/edits", response_model=PlanReport,
             responses=errors(404, 409, 412), response_model_exclude_unset=True)
def edit_plan(caller: PlannerDep, plan: CurrentPlan, body: PlanEdit, session: SessionDep,
              expected: IfMatch, response: Response, settings: SettingsDep) -> dict:
    """Redraw by hand inside a draft plan; metrics, flags and crosswalk are recomputed. 409
    while another write of the plan runs, 412 when If-Match is not its version. A drawn
    geometry may have at most GRIDMAP_MAX_VERTICES vertices (422)."""
    plans.edit_plan(session, plan.id, body.model_dump(exclude_none=True), actor=caller.name,
                    expected=expected, max_vertices=settings.max_vertices)
    set_etag(response, plan.version)
    return plans.plan_report(session, plan.id)


class WorkerPicks(BaseModel):
    """The planner's grid worker (worker code) for new grids of the plan, keyed by the
    grid's ``seq``; null clears a pick (the proposal applies again)."""

    workers: dict[int, str | None] = Field(
        description='e.g. {"3": "W0012", "5": null}', max_length=1000)


@router.put("/api/v1/plans/{plan_id}/workers", response_model=PlanReport,
            responses=errors(404, 409, 412), response_model_exclude_unset=True)
def pick_plan_workers(caller: PlannerDep, plan: CurrentPlan, body: WorkerPicks,
                      session: SessionDep, expected: IfMatch, response: Response) -> dict:
    """Pick the grid worker of new grids of a draft (planner); the report's ``staffing``
    shows the result. 404 unknown worker, 422 a seq that is not a new grid, 409 / 412 as for
    edits."""
    plans.set_plan_workers(session, plan.id, body.workers, actor=caller.name,
                           expected=expected)
    set_etag(response, plan.version)
    return plans.plan_report(session, plan.id)


@router.get("/api/v1/plans/{plan_id}/worker-candidates", response_model=WorkerCandidates,
            responses=errors(404), response_model_exclude_unset=True)
def plan_worker_candidates(caller: PlannerDep, plan: CurrentPlan, session: SessionDep) -> dict:
    """Grid workers of the plan's communities the planner may pick for its new grids
    (planner; 404 for a plan outside the key's region), free ones first; ``seqs`` are the
    new grids the current proposal gives each."""
    workers = plans.list_worker_candidates(session, plan)
    return {"plan_id": plan.id,
            "workers": frames.records_from_frame(workers.drop(columns="worker_id"))}


@router.post("/api/v1/plans/{plan_id}/undo", response_model=PlanReport,
             responses=errors(404, 409, 412), response_model_exclude_unset=True)
def undo_plan_edit(caller: PlannerDep, plan: CurrentPlan, session: SessionDep,
                   expected: IfMatch, response: Response) -> dict:
    """Take back the last manual edit of a draft (up to 10 in a row); 409 when there is none
    to undo or another write of the plan runs, 412 when If-Match is not its version."""
    plans.undo_edit(session, plan.id, actor=caller.name, expected=expected)
    set_etag(response, plan.version)
    return plans.plan_report(session, plan.id)


@router.post("/api/v1/plans/{plan_id}/apply",
             response_model=AppliedPlan, responses=errors(404, 409, 412),
             response_model_exclude_unset=True)
def apply_plan(caller: PlannerDep, plan: CurrentPlan, session: SessionDep, expected: IfMatch,
               response: Response, confirm_unstaffed: bool = False) -> dict:
    """Apply a draft in one transaction; its ``changes`` equal the report's before apply.
    409 when its grids changed meanwhile, another write of the plan runs, or a new
    residential grid has no grid worker and ``confirm_unstaffed`` is not true (the message
    names the grids); 412 when If-Match is not its version."""
    changes = plans.apply_plan(session, plan.id, actor=caller.name, expected=expected,
                               confirm_unstaffed=confirm_unstaffed)
    set_etag(response, plan.version)
    return changes


@router.post("/api/v1/plans/{plan_id}/reject",
             response_model=PlanReport, responses=errors(404, 409, 412),
             response_model_exclude_unset=True)
def reject_plan(caller: PlannerDep, plan: CurrentPlan, session: SessionDep, expected: IfMatch,
                response: Response) -> dict:
    """Reject a draft (409 / 412 as for apply)."""
    plans.reject_plan(session, plan.id, actor=caller.name, expected=expected)
    set_etag(response, plan.version)
    return plans.plan_report(session, plan.id)


@router.get("/api/v1/buildings/{code}/grid-history",
            response_model=GridHistory, responses=errors(404),
            response_model_exclude_unset=True)
def building_grid_history(code: str, session: SessionDep, caller: ReaderDep,
                          at: datetime | None = None,
                          theme: Literal["unified", "party", "security", "civil",
                                         "urban"] = "unified") -> dict:
    """Which grid of ``theme`` (default unified) building ``code`` was in, period by period
    (or at ``at``); ended grids (a merge ends the thematic ones) still answer."""
    periods = plans.list_building_grid_history(session, code, at=at, scope=caller.scope,
                                               theme=theme)
    return {"building": code, "at": at.isoformat() if at else None, "theme": theme,
            "periods": frames.records_from_frame(periods)}


@router.get("/map/plans", response_class=HTMLResponse, responses=errors(404))
def workbench(caller: PlanningCallerDep, session: SessionDep, settings: SettingsDep,
              csrf: PageCsrfDep, scope: PageScope = None,
              plan: Annotated[int | None, Query(ge=1, description="plan to review")] = None,
              ) -> str:
    """The planner workbench: pick a community or subdistrict, see its problems, generate,
    edit, undo, apply or reject plans (planners, within their region; 404 for a plan outside
    it, 403 for an area outside it)."""
    return workbench_layers.render_workbench(
        session, caller, scope_code=scope, plan_id=plan,
        rules=household_rules.rules_from(settings), csrf=csrf)


@router.get("/map/plans/{plan_id}", response_class=HTMLResponse, responses=errors(404))
def plan_map(caller: PlanningCallerDep, plan: CurrentPlan, session: SessionDep,
             settings: SettingsDep, csrf: PageCsrfDep) -> str:
    """The workbench showing plan ``plan_id`` (as ``/map/plans?plan=ID``; planners of the
    plan's region, 404 for a plan outside it)."""
    return workbench_layers.render_workbench(
        session, caller, scope_code=None, plan_id=plan.id,
        rules=household_rules.rules_from(settings), csrf=csrf)
