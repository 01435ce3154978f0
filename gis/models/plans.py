"""Plans: proposed grid changes (balance or 多格合一 merge) reviewed before they apply."""

from datetime import datetime

from geoalchemy2 import WKBElement
from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, geometry

PLAN_KINDS = ("balance", "merge", "manual")
PLAN_STATES = ("draft", "applied", "rejected")


class Plan(Base):
    __tablename__ = "plan"
    __table_args__ = (
        CheckConstraint(f"kind IN {PLAN_KINDS}", name="kind_known"),
        CheckConstraint(f"status IN {PLAN_STATES}", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    scope_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    status: Mapped[str] = mapped_column(String(12), server_default="draft")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    params: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    metrics: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Bumped by every edit, apply and reject (gis.plans.lock): the plan's ETag."""


class PlanGrid(Base):
    """One proposed grid of a plan (``seq`` numbers it within the plan)."""

    __tablename__ = "plan_grid"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(100))
    community_code: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(12), server_default="residential")
    households: Mapped[int] = mapped_column(Integer, server_default="0")
    compactness: Mapped[float | None] = mapped_column(Float)
    flag: Mapped[str | None] = mapped_column(String(40))
    source_grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    geom: Mapped[WKBElement | None] = mapped_column(geometry("MULTIPOLYGON"))


class PlanBuilding(Base):
    """Which proposed grid each building of the plan's scope goes to."""

    __tablename__ = "plan_building"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"),
                                         primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"),
                                             primary_key=True)
    plan_grid_id: Mapped[int] = mapped_column(ForeignKey("plan_grid.id", ondelete="CASCADE"),
                                              index=True)


class PlanCrosswalk(Base):
    """For each old grid, the new grids that take its households and the share each takes."""

    __tablename__ = "plan_crosswalk"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"),
                                         primary_key=True)
    old_grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), primary_key=True)
    plan_grid_id: Mapped[int] = mapped_column(ForeignKey("plan_grid.id", ondelete="CASCADE"),
                                              primary_key=True)
    households: Mapped[int] = mapped_column(Integer)
    share: Mapped[float] = mapped_column(Float)
