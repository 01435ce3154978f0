"""Plans (balance, 多格合一 merge): draft, review, apply, reject; building grid history."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.access import PlanningCallerDep
from api.deps import CallerDep, SessionDep
from api.params import RowId
from gis import plans
from gis.access import jurisdiction
from gis.core import frames
from gis.core.errors import Forbidden
from gis.grids import household_rules
from layers import plans as plan_layers

router = APIRouter(tags=["plans"])
READERS = ("viewer", "grid_worker", "dispatcher", "planner")


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


@router.post("/api/v1/plans", status_code=201)
def create_plan(body: PlanRequest, session: SessionDep, caller: CallerDep) -> dict:
    """Draw a plan (planner); it stays a draft until applied or rejected."""
    caller.require("planner")
    if not caller.covers(body.scope):
        raise Forbidden(f"{body.scope} is outside your jurisdiction ({caller.region_code})")
    used = household_rules.rules_with(residential_min=body.residential_min,
                            residential_max=body.residential_max,
                            rural_min=body.rural_min, rural_max=body.rural_max)
    plan = plans.create_plan(session, kind=body.kind, scope_code=body.scope,
                             created_by=caller.name, themes=body.themes, rules=used,
                             seed=body.seed)
    return plans.plan_report(session, plan.id)


@router.get("/api/v1/plans/{plan_id}")
def get_plan(plan_id: RowId, session: SessionDep, caller: CallerDep) -> dict:
    """A plan with metrics before/after, proposed grids (GeoJSON) and the crosswalk."""
    caller.require(*READERS)
    return plans.plan_report(session, plan_id)


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


@router.post("/api/v1/plans/{plan_id}/edits")
def edit_plan(plan_id: RowId, body: PlanEdit, session: SessionDep, caller: CallerDep) -> dict:
    """Redraw by hand inside a draft plan; metrics, flags and crosswalk are recomputed."""
    caller.require("planner")
    plans.edit_plan(session, plan_id, body.model_dump(exclude_none=True), actor=caller.name)
    return plans.plan_report(session, plan_id)


@router.post("/api/v1/plans/{plan_id}/apply")
def apply_plan(plan_id: RowId, session: SessionDep, caller: CallerDep) -> dict:
    """Apply a draft in one transaction; 409 when its grids changed meanwhile."""
    caller.require("planner")
    return plans.apply_plan(session, plan_id, actor=caller.name)


@router.post("/api/v1/plans/{plan_id}/reject")
def reject_plan(plan_id: RowId, session: SessionDep, caller: CallerDep) -> dict:
    """Reject a draft."""
    caller.require("planner")
    plans.reject_plan(session, plan_id, actor=caller.name)
    return plans.plan_report(session, plan_id)


@router.get("/api/v1/buildings/{code}/grid-history")
def building_grid_history(code: str, session: SessionDep, caller: CallerDep,
                          at: datetime | None = None) -> dict:
    """Which unified grid building ``code`` was in, period by period (or at ``at``)."""
    caller.require(*READERS)
    periods = plans.list_building_grid_history(session, code, at=at)
    return {"building": code, "at": at.isoformat() if at else None,
            "periods": frames.records_from_frame(periods)}


@router.get("/map/plans/{plan_id}", response_class=HTMLResponse)
def plan_map(plan_id: RowId, session: SessionDep, caller: PlanningCallerDep) -> str:
    """Current and proposed grids side by side, moved buildings, metrics and crosswalk
    (planners of the plan's region)."""
    review = plans.plan_review(session, plan_id)
    jurisdiction.check_inside(review["plan"].scope_code, caller.scope, f"plan {plan_id}")
    return plan_layers.review_page(review)
