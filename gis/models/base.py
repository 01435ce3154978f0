"""Declarative base with a naming convention, and the geometry column helper (SRID 4490)."""

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, DateTime, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gis.core.crs import STORAGE_SRID

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def geometry(kind: str = "GEOMETRY") -> Geometry:
    """A CGCS2000 geometry column type with a GiST index."""
    return Geometry(geometry_type=kind, srid=STORAGE_SRID, spatial_index=True)


def valid_geometry(column: str = "geom") -> CheckConstraint:
    """Geometry validity enforced on write, whatever path the row takes."""
    return CheckConstraint(f"ST_IsValid({column})", name=f"{column}_valid")


def created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
