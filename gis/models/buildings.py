"""Buildings with standard addresses, households and residents (一户一档)."""

from datetime import date

from geoalchemy2 import WKBElement
from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, geometry, valid_geometry

RESIDENT_CATEGORIES = (
    "floating", "elderly_alone", "party_member", "disabled", "low_income", "veteran",
    "minor_left_behind", "key_care",
)


class Building(Base):
    """A building; it belongs to the current unified grid holding most of its area."""

    __tablename__ = "building"
    __table_args__ = (
        CheckConstraint("households >= 0 AND residents >= 0", name="counts_non_negative"),
        valid_geometry(),
        # address search (geocoding) uses trigram similarity
        Index("ix_building_address_trgm", "address", postgresql_using="gin",
              postgresql_ops={"address": "gin_trgm_ops"}),
        # ... and by compound key (migration 0003; the same expression as gis/core/sql/geocode.sql)
        Index("ix_building_compound_key_trgm", text(
            "(regexp_replace(NULLIF(compound, ''), '小区$', '') "
            "|| coalesce(substring(address FROM '[0-9]+栋$'), '')) gin_trgm_ops"),
            postgresql_using="gin"),
        # jurisdiction filter (gm_in_region: LIKE 'prefix%') of building reads (migration 0006)
        Index("ix_building_community_prefix", text("community_code text_pattern_ops")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    address: Mapped[str] = mapped_column(String(200))
    compound: Mapped[str | None] = mapped_column(String(100))
    floors: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer, server_default="0")
    residents: Mapped[int] = mapped_column(Integer, server_default="0")
    use: Mapped[str] = mapped_column(String(20), server_default="residential")
    community_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id", ondelete="SET NULL"),
                                                index=True)
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTIPOLYGON"), nullable=False)


class Household(Base):
    """A household (户) in a building; the head's phone is personal data."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"),
                                             index=True)
    unit: Mapped[str | None] = mapped_column(String(20))
    room: Mapped[str | None] = mapped_column(String(20))
    head_name: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer, server_default="1")


class Resident(Base):
    """A resident; ID number and phone are stored and masked on the way out."""

    __tablename__ = "resident"
    __table_args__ = (CheckConstraint("gender IN ('M', 'F') OR gender IS NULL",
                                      name="gender_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"),
                                             index=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    relation: Mapped[str | None] = mapped_column(String(20))
    categories: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default="{}")
    note: Mapped[str | None] = mapped_column(Text)
