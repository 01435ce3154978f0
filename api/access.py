"""Caller dependencies beyond api/deps.py: any valid key (of any role)."""

from __future__ import annotations

from typing import Annotated

from api.deps import require
from gis.callers import Caller
from gis.models.security import ROLES

KeyedCallerDep = Annotated[Caller, require(*ROLES)]
"""A caller holding a valid key of any role (401 without one)."""
