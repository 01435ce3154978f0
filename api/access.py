"""Caller dependencies beyond api/deps.py: any valid key, and who may open which map page.

On ``/map`` pages api/errors.py turns a missing key (401) into a 303 to ``/map/login`` and a
wrong role or region (403) into a small Chinese page; the JSON API answers as usual.
"""

from __future__ import annotations

from typing import Annotated

from api.deps import require
from gis.access.callers import Caller
from gis.models.security import ROLES

KeyedCallerDep = Annotated[Caller, require(*ROLES)]
"""A caller holding a valid key of any role (401 without one)."""

DISPATCH_ROLES = ("dispatcher", "grid_worker")
"""Who works events on the dispatcher pages (admin always)."""
PLANNING_ROLES = ("planner",)
"""Who reviews plans and topology QA on the map (admin always)."""

DispatchCallerDep = Annotated[Caller, require(*DISPATCH_ROLES)]
PlanningCallerDep = Annotated[Caller, require(*PLANNING_ROLES)]
