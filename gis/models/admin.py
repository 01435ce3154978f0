"""Admin hierarchy (省 › 市 › 区县 › 街道 › 社区), grids with history, grid workers."""

from datetime import datetime

from geoalchemy2 import WKBElement
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gis.models.base import Base, geometry, valid_geometry

REGION_LEVELS = ("province", "city", "district", "subdistrict", "community")
"""Top down: 省, 地级市 (prefecture level), 区县, 街道/乡镇, 社区/村 (GB/T 2260, GB/T 10114)."""
GRID_THEMES = ("unified", "party", "security", "civil", "urban")
GRID_KINDS = ("residential", "commercial", "industrial", "rural", "special")
WORKER_ROLES = ("full_time", "part_time")


class Region(Base):
    """An admin unit (province 省, city 市, district 区县, subdistrict 街道 or community 社区)
    with a 12-digit code (a GB/T 2260 six-digit code followed by zeros above 街道)."""

    __tablename__ = "region"
    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{12}$'", name="code_12_digits"),
        CheckConstraint(f"level IN {REGION_LEVELS}", name="level_known"),
        valid_geometry(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("region.code", ondelete="RESTRICT"), index=True
    )
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTIPOLYGON"), nullable=False)


class Grid(Base):
    """A grid of one theme; current while ``valid_to`` is null. ``version`` locks optimistically."""

    __tablename__ = "grid"
    __table_args__ = (
        CheckConstraint(f"theme IN {GRID_THEMES}", name="theme_known"),
        CheckConstraint(f"kind IN {GRID_KINDS}", name="kind_known"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_period"),
        valid_geometry(),
        # one current grid per (theme, code); history rows keep their code
        Index("uq_grid_current_code", "theme", "code", unique=True,
              postgresql_where=text("valid_to IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(100))
    theme: Mapped[str] = mapped_column(String(12), server_default="unified")
    kind: Mapped[str] = mapped_column(String(12), server_default="residential")
    community_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    locked: Mapped[bool] = mapped_column(Boolean, server_default="false")
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTIPOLYGON"), nullable=False)
    # geodesic area in m², computed by PostgreSQL when the row is written (migration 0020)
    area_m2: Mapped[float | None] = mapped_column(
        Float, Computed("ST_Area(geom::geography)", persisted=True))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class GridWorker(Base):
    """A grid worker (网格员) with the public contact shown on 上岗公示 boards."""

    __tablename__ = "grid_worker"
    __table_args__ = (CheckConstraint(f"role IN {WORKER_ROLES}", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(12), server_default="full_time")
    phone: Mapped[str | None] = mapped_column(String(20))
    duties: Mapped[str | None] = mapped_column(Text)
    supervision_phone: Mapped[str | None] = mapped_column(String(20))
    grids: Mapped[list["GridWorkerGrid"]] = relationship(back_populates="worker")


class GridWorkerGrid(Base):
    """Which worker serves which grid (a worker may serve several, a grid may have several)."""

    __tablename__ = "grid_worker_grid"

    worker_id: Mapped[int] = mapped_column(ForeignKey("grid_worker.id", ondelete="CASCADE"),
                                           primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, server_default="true")
    worker: Mapped[GridWorker] = relationship(back_populates="grids")
