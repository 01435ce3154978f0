"""Plans: proposed new grids for one community or subdistrict, reviewed before they apply.

``create_plan`` (kind ``balance`` or ``merge``) reads the scope, drafts the grids from
building atoms (gis.plans.cells / partition / groups) and stores them with their metrics and
crosswalk; ``edit_plan`` redraws a draft by hand (gis.plans.edit), ``apply_plan`` and
``reject_plan`` decide (gis.plans.apply); ``undo_edit`` takes the last edit back
(gis.plans.undo). What apply changes is one change set (gis.plans.changes), shown before apply
and written by it; gis.plans.staffing proposes the new grids' workers and takes the planner's
picks (``set_plan_workers``). Every write locks the plan row first and bumps its ``version``
(gis.plans.lock). Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core.errors import Forbidden, InvalidInput
from gis.grids.household_rules import LoadRules, rules_with
from gis.models import Plan
from gis.plans import (
    apply,
    atoms,
    balance,
    cells,
    changes,
    history,
    listing,
    load,
    lock,
    merge,
    staffing,
    store,
    undo,
)

KINDS = ("balance", "merge")
DEFAULT_THEMES = ("party", "security", "civil")


def create_plan(session: Session, *, kind: str, scope_code: str, created_by: str,
                themes: Sequence[str] = (), rules: LoadRules | None = None, seed: int = 0,
                segment_m: float | None = cells.SEGMENT_M, scope: str | None = None,
                barriers: bool = False, weights: load.LoadWeights | None = None) -> Plan:
    """Draft and store a ``balance`` or ``merge`` plan for community/subdistrict ``scope_code``.

    ``themes`` (merge only, default party/security/civil) are the thematic layers merged;
    ``rules`` default to the built-in ones (callers pass ``household_rules.rules_from``).
    ``scope`` is the caller's region: a plan must lie inside it (check_plan_scope).
    ``barriers``: roads wider than a lane and railways part grids like water (atoms.load_scope);
    ``weights``: the load beyond households (gis.plans.load; default households only).
    """
    check_plan_scope(scope_code, scope)
    if kind not in KINDS:
        raise InvalidInput(f"unknown plan kind '{kind}': use balance or merge")
    rules = rules or rules_with()
    chosen = tuple(themes or DEFAULT_THEMES) if kind == "merge" else ()
    area = atoms.load_scope(session, scope_code, themes=chosen, segment_m=segment_m,
                            barriers=barriers)
    load.attach_load(session, area, weights)
    if area.atoms.empty:
        raise InvalidInput(f"no buildings in {scope_code}: a plan is drawn from buildings")
    if kind == "balance":
        draft = balance.plan_balance(area, rules, seed=seed)
    else:
        draft = merge.plan_merge(area, rules, seed=seed)
    return store.save_draft(session, draft, created_by=created_by, rules=rules,
                            params={"themes": list(chosen), "seed": seed,
                                    "segment_m": segment_m, "barriers": barriers,
                                    "weights": (weights or load.LoadWeights()).model_dump()})


def check_plan_scope(scope_code: str, scope: str | None) -> None:
    """Forbidden unless the plan's area ``scope_code`` lies inside region ``scope`` (one-way:
    a community key may not draw a plan for its whole subdistrict)."""
    if not jurisdiction.inside(scope_code, scope):
        raise Forbidden(f"a plan for {scope_code} is not inside your jurisdiction {scope}: "
                        "a key draws plans only within its own region (方案范围超出您的辖区)",
                        scope=scope)


get_plan = store.get_plan
get_plan_in_scope = store.get_plan_in_scope
list_plan_grids = store.list_plan_grids
list_crosswalk = store.list_crosswalk
plan_report = store.plan_report
plan_review = store.plan_review
apply_plan = apply.apply_plan
reject_plan = apply.reject_plan
edit_plan = undo.edit_plan
undo_edit = undo.undo_edit
undo_depth = undo.undo_depth
list_plans = listing.list_plans
list_building_grid_history = history.list_building_grid_history
lock_draft = lock.lock_draft
change_set = changes.change_set
plan_changes = changes.plan_changes
plan_staffing = store.plan_staffing
set_plan_workers = staffing.set_plan_workers
list_worker_candidates = staffing.list_worker_candidates

__all__ = [
    "KINDS",
    "apply_plan",
    "change_set",
    "check_plan_scope",
    "create_plan",
    "edit_plan",
    "get_plan",
    "get_plan_in_scope",
    "list_building_grid_history",
    "list_crosswalk",
    "list_plan_grids",
    "list_plans",
    "list_worker_candidates",
    "lock_draft",
    "plan_changes",
    "plan_report",
    "plan_review",
    "plan_staffing",
    "reject_plan",
    "set_plan_workers",
    "undo_depth",
    "undo_edit",
]
