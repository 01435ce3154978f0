"""Grid load rules by grid kind: the household range a grid should hold.

Defaults (override with environment variables ``GRIDMAP_LOAD_<FIELD>``, e.g.
``GRIDMAP_LOAD_RESIDENTIAL_MAX=600``, read once into ``Settings`` and turned into rules by
``rules_from``, or per call):

* residential grids: 300–500 households, a common local rule (e.g. 海口 Haikou's
  "每个网格300至500户");
* rural grids: a range the user sets; until then 200–500 households, a placeholder;
* commercial, industrial and special grids (schools, hospitals, markets, industrial parks)
  are exempt: they are staffed by the businesses or sites they hold, not by households.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel

from gis.core.errors import InvalidInput
from gis.core.settings import Settings


class LoadRules(BaseModel):
    """Household bounds per grid kind (inclusive); kinds in ``exempt_kinds`` are not checked."""

    residential_min: int = 300
    residential_max: int = 500
    rural_min: int = 200
    rural_max: int = 500
    exempt_kinds: tuple[str, ...] = ("commercial", "industrial", "special")

    def bounds(self, kind: str) -> tuple[int, int] | None:
        """(min, max) households for ``kind``, or None when the kind is exempt."""
        if kind in self.exempt_kinds:
            return None
        if kind == "rural":
            return (self.rural_min, self.rural_max)
        return (self.residential_min, self.residential_max)

    def checked(self) -> LoadRules:
        """Self, after checking every range is 0 <= min <= max (InvalidInput otherwise)."""
        for kind in ("residential", "rural"):
            lo, hi = getattr(self, f"{kind}_min"), getattr(self, f"{kind}_max")
            if not 0 <= lo <= hi:
                raise InvalidInput(f"{kind} household range {lo}–{hi} is not 0 <= min <= max")
        return self


def rules_from(settings: Settings) -> LoadRules:
    """The rules ``settings`` (``GRIDMAP_LOAD_*``) give, checked."""
    return LoadRules(residential_min=settings.load_residential_min,
                     residential_max=settings.load_residential_max,
                     rural_min=settings.load_rural_min, rural_max=settings.load_rural_max,
                     exempt_kinds=settings.load_exempt_kinds).checked()


def rules_with(base: LoadRules | None = None, **overrides: int | None) -> LoadRules:
    """``base`` (default: the built-in rules; callers pass ``rules_from(settings)``) with
    the non-None ``overrides`` applied."""
    rules = base or LoadRules()
    changes = {k: v for k, v in overrides.items() if v is not None}
    return rules.model_copy(update=changes).checked() if changes else rules.checked()


@dataclass(frozen=True)
class GridCount:
    """How many grids ``households`` should become under ``bounds``, and whether that fits."""

    k: int
    feasible: bool
    reason: str


def grid_count(households: int, bounds: tuple[int, int]) -> GridCount:
    """k between ceil(H/max) and floor(H/min), the one whose mean is nearest the range's middle.

    When no k fits (e.g. 520 households with 300–500: 1 grid is too big, 2 too small) the
    k whose mean lies closest to the range is returned with ``feasible=False``.
    """
    lo, hi = bounds
    if households <= 0:
        return GridCount(1, True, "")
    k_min = max(1, math.ceil(households / hi))
    k_max = households // lo if lo > 0 else k_min
    if k_min <= k_max:
        middle = (lo + hi) / 2
        k = min(range(k_min, k_max + 1), key=lambda n: abs(households / n - middle))
        return GridCount(k, True, "")
    if households < lo:
        return GridCount(1, False, f"only {households} households in all, fewer than {lo}: "
                                   "one undersized grid")
    over, under = k_min - 1, k_min

    def miss(n: int) -> float:
        mean = households / n
        return max(0.0, mean - hi) / hi + max(0.0, lo - mean) / lo

    k = min((n for n in (over, under) if n >= 1), key=miss)
    return GridCount(k, False, f"{households} households cannot split into grids of "
                               f"{lo}–{hi}: {k} grid(s) of about {households // k}")
