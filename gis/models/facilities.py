"""Facilities (党群服务中心, clinics, elderly care, shelters…) and their cached service areas."""

from datetime import datetime

from geoalchemy2 import WKBElement
from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, geometry, valid_geometry

FACILITY_TYPES = (
    "party_center", "clinic", "elderly_care", "school", "kindergarten", "shelter",
    "emergency_supply", "police_post", "other",
)
FACILITY_LEVELS = ("district", "subdistrict", "community", "compound")


class Facility(Base):
    """A facility, stored as a point or a polygon, with an optional entrance point."""

    __tablename__ = "facility"
    __table_args__ = (
        CheckConstraint(f"type IN {FACILITY_TYPES}", name="type_known"),
        CheckConstraint(f"level IS NULL OR level IN {FACILITY_LEVELS}", name="level_known"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_non_negative"),
        valid_geometry(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20), index=True)
    level: Mapped[str | None] = mapped_column(String(12))
    capacity: Mapped[int | None] = mapped_column(Integer)
    opening_hours: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    community_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    geom: Mapped[WKBElement] = mapped_column(geometry("GEOMETRY"), nullable=False)
    entrance: Mapped[WKBElement | None] = mapped_column(geometry("POINT"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), onupdate=func.now())


class ServiceArea(Base):
    """A cached walking isochrone of one facility for one time budget and speed."""

    __tablename__ = "service_area"
    __table_args__ = (valid_geometry(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"),
                                             index=True)
    minutes: Mapped[float] = mapped_column(Float)
    speed_m_per_min: Mapped[float] = mapped_column(Float)
    snap_distance_m: Mapped[float | None] = mapped_column(Float)
    network_version: Mapped[int] = mapped_column(Integer, server_default="0")
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTIPOLYGON"), nullable=False)
