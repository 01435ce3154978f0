"""Plans (balance, 多格合一 merge): the report with metrics, proposed grids and crosswalk."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import FeatureCollection, Number, Open
from api.schemas.grids import LoadRules


class LayerMetrics(Open):
    """Grids in and out of range, households per grid, compactness (Polsby-Popper)."""

    grids: int
    checked: int | None = None
    in_range: int | None = None
    share_in_range: Number | None = None
    min_households: int | None = None
    max_households: int | None = None
    mean_households: Number | None = None
    mean_compactness: Number | None = None


class PlanMetrics(Open):
    """Before/after figures and what the plan would move."""

    before: LayerMetrics
    after: LayerMetrics
    buildings_moved: int | None = Field(None, description="buildings that change grid "
                                                          "(= changes.buildings_reassigned)")
    buildings_redrawn: int | None = Field(None, description="buildings leaving their old "
                                                            "grid's successor (highlighted)")
    residents_reassigned: int | None = None
    households_reassigned: int | None = None
    events_reassigned: int | None = None
    grids_retired: int | None = None
    grids_new: int | None = None
    cut_off_grids: int | None = None
    notes: list[str] = Field(default_factory=list)
    flags: list[Open] = Field(default_factory=list)


class ProposedGridProperties(Open):
    """A proposed grid (``seq`` numbers it inside the plan); ``flag`` names a problem."""

    id: int
    seq: int
    name: str | None = None
    community_code: str | None = None
    kind: str | None = None
    households: int | None = None
    residents: int | None = None
    buildings: int | None = None
    compactness: Number | None = None
    flag: str | None = None
    source_grid_id: int | None = None
    source_grid_code: str | None = None


class CrosswalkRow(Open):
    """Households of an old grid (any theme) that go to proposed grid ``new_seq``."""

    old_grid_id: int
    old_theme: str | None = None
    old_code: str | None = None
    new_seq: int | None = None
    households: int | None = None
    share: Number | None = None


class PlanChanges(Open):
    """What applying the plan changes (draft: computed now by the code apply runs; applied:
    what apply changed; rejected: empty). The same figures as ``AppliedPlan.changes``."""

    grids_retired: list[str] = Field(default_factory=list,
                                     description="codes of the grids ended (a merge also ends "
                                                 "the merged thematic grids)")
    grids_created: list[str] = Field(default_factory=list,
                                     description="codes the new grids get")
    buildings_reassigned: int = 0
    households_reassigned: int = 0
    residents_reassigned: int = 0
    events_reassigned: int = Field(0, description="not-closed events (resolved and verified "
                                                  "included) that change grid")


class StaffWorker(Open):
    """A worker proposed for (or linked to) a new grid, and why: planner, carried, community
    or surplus."""

    worker_id: int | None = None
    worker_code: str | None = None
    worker_name: str | None = None
    source: str | None = None


class StaffedGrid(Open):
    """A new grid of the plan (``seq``; ``code`` it will get) and its proposed workers."""

    seq: int
    kind: str | None = None
    code: str | None = None
    community_code: str | None = None
    workers: list[StaffWorker] = Field(default_factory=list)


class UnstaffedGrid(Open):
    """A new grid left without a grid worker (a warning; apply refuses residential ones
    unless ``confirm_unstaffed=true``)."""

    seq: int
    kind: str | None = None
    code: str | None = None


class PlanStaffing(Open):
    """Grid workers of the plan's new grids: ``grids`` (draft: the proposal), ``linked``
    (applied: the links apply made) and ``unstaffed``."""

    grids: list[StaffedGrid] = Field(default_factory=list)
    linked: list[Open] = Field(default_factory=list)
    unstaffed: list[UnstaffedGrid] = Field(default_factory=list)


class WorkerCandidate(Open):
    """A grid worker of the plan's communities, with the new grids (``seqs``) the proposal
    gives them (empty: free)."""

    worker_code: str
    worker_name: str | None = None
    role: str | None = None
    community_code: str | None = None
    seqs: list[int] = Field(default_factory=list)


class WorkerCandidates(Open):
    """``GET /api/v1/plans/{id}/worker-candidates``: whom the planner may pick for new grids
    (``PUT /api/v1/plans/{id}/workers`` takes their ``worker_code``)."""

    plan_id: int
    workers: list[WorkerCandidate] = Field(default_factory=list)


class PlanReport(Open):
    """A plan: state, rules, metrics before/after, proposed grids (GeoJSON), crosswalk."""

    id: int
    kind: str
    scope_code: str
    status: str
    version: int = Field(description="bumped by every edit, apply and reject; sent as the "
                                     "ETag, to be echoed in If-Match by writes")
    created_by: str | None = None
    created_at: str | None = None
    decided_at: str | None = None
    themes: list[str] = Field(default_factory=list)
    rules: LoadRules
    metrics: PlanMetrics
    grids: FeatureCollection[ProposedGridProperties]
    crosswalk: list[CrosswalkRow]
    changes: PlanChanges = Field(default_factory=PlanChanges)
    staffing: PlanStaffing = Field(default_factory=PlanStaffing)


class AppliedPlan(Open):
    """``POST /api/v1/plans/{id}/apply``: what changed, in one transaction."""

    plan_id: int
    applied_at: str
    grids_retired: list[str]
    grids_created: list[str]
    buildings_reassigned: int
    households_reassigned: int
    residents_reassigned: int
    events_reassigned: list[Open] = Field(description="each event moved: event_code, "
                                                      "from_grid, to_grid")
    workers_carried: list[Open] = Field(description="each worker link made: worker_code, "
                                                    "worker_name, to_grid, source")
    unstaffed: list[UnstaffedGrid] = Field(default_factory=list)
    changes: PlanChanges
