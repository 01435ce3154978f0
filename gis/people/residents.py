"""Households and residents (一户一档) of a building or grid, masked unless revealed.

Personal data (names, ID numbers, phones, birth dates) leaves this module masked by default
(gis.access.privacy, the one masking rule). Callers decide ``reveal`` with ``may_reveal``: only
on explicit request, by roles in PERSONAL_DATA_ROLES, inside their jurisdiction. Every reveal
writes one audit_log row (gis.access.audit) naming who, what kind and how many rows, never the
values.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.access import audit, jurisdiction, privacy
from gis.access.callers import Caller
from gis.core import paging
from gis.core.errors import Forbidden, InvalidInput, NotFound
from gis.models import Building, Grid


def get_scope(session: Session, *, building_code: str | None = None,
              grid_code: str | None = None) -> str | None:
    """The community code the building (or current unified grid) belongs to.

    Exactly one of ``building_code``/``grid_code``; NotFound when it does not exist.
    """
    if (building_code is None) == (grid_code is None):
        raise InvalidInput("give exactly one of 'building' or 'grid' (a code)")
    if building_code is not None:
        found = session.execute(select(Building.community_code)
                                .where(Building.code == building_code)).first()
        if found is None:
            raise NotFound(f"no building with code '{building_code}'")
        return found[0]
    found = session.execute(select(Grid.community_code).where(
        Grid.code == grid_code, Grid.theme == "unified", Grid.valid_to.is_(None))).first()
    if found is None:
        raise NotFound(f"no current unified grid with code '{grid_code}'")
    return found[0]


def may_reveal(caller: Caller, community_code: str | None, *, requested: bool = True) -> bool:
    """Whether ``caller`` gets unmasked personal data of ``community_code``.

    Masked is the default: only an explicit request (``requested``) from a role in
    PERSONAL_DATA_ROLES reveals; a request from another role is Forbidden. Outside the
    caller's jurisdiction nothing is shown at all (Forbidden): a key for one community has no
    business reading another's household register, even masked.
    """
    if not jurisdiction.inside(community_code, caller.scope):
        raise Forbidden(f"this building or grid ({community_code or 'no community'}) lies "
                        f"outside your key's jurisdiction ({caller.region_code})")
    if requested and not caller.sees_personal_data:
        raise Forbidden(f"role '{caller.role}' may not see unmasked personal data; leave out "
                        "reveal=true to get masked values")
    return requested


def _target(building_code: str | None, grid_code: str | None) -> str:
    return f"building:{building_code}" if building_code else f"grid:{grid_code}"


def list_households(session: Session, *, building_code: str | None = None,
                    grid_code: str | None = None, reveal: bool = False,
                    actor: str = "anonymous", limit: int | None = None,
                    offset: int = 0) -> pd.DataFrame:
    """Households of a building or grid (no geometry); head_name and phone masked unless
    ``reveal``. Columns: id, code, building_code, address, unit, room, head_name, phone,
    size, residents. ``attrs["number_matched"]`` holds the total."""
    get_scope(session, building_code=building_code, grid_code=grid_code)
    frame = paging.run_page(session, "household_list",
                             {"building_code": building_code, "grid_code": grid_code},
                             limit=limit, offset=offset, geom_col=None)
    if reveal:
        audit.record_reveal(session, actor=actor, kind="households", rows=len(frame),
                            target=_target(building_code, grid_code))
    return privacy.mask_frame(frame, reveal=reveal)


def list_residents(session: Session, *, building_code: str | None = None,
                   grid_code: str | None = None, reveal: bool = False,
                   actor: str = "anonymous", limit: int | None = None,
                   offset: int = 0) -> pd.DataFrame:
    """Residents of a building or grid (no geometry); name, ID number and phone masked and
    birth date cut to the year ('1990-**-**') unless ``reveal``. Columns: id, code, household_code,
    building_code, address, name, id_number, phone, gender, birth_date, birth_year,
    relation, categories. ``attrs["number_matched"]`` holds the total."""
    get_scope(session, building_code=building_code, grid_code=grid_code)
    frame = paging.run_page(session, "resident_list",
                             {"building_code": building_code, "grid_code": grid_code},
                             limit=limit, offset=offset, geom_col=None)
    if reveal:
        audit.record_reveal(session, actor=actor, kind="residents", rows=len(frame),
                            target=_target(building_code, grid_code))
    return privacy.mask_frame(frame, reveal=reveal, names=("name",))
