"""Events (工单) with their assignment and an append-only log of every state change."""

from datetime import datetime

from geoalchemy2 import WKBElement
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, geometry

EVENT_STATES = (
    "needs_location", "reported", "accepted", "dispatched", "in_progress", "resolved",
    "verified", "closed", "returned", "reopened",
)
EVENT_CHANNELS = ("12345", "patrol", "resident_app", "city_management", "open311", "other")


class Event(Base):
    """An incident; located events carry the grid (and its version) they were assigned to."""

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint(f"status IN {EVENT_STATES}", name="status_known"),
        CheckConstraint(f"channel IN {EVENT_CHANNELS}", name="channel_known"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                        name="satisfaction_range"),
        CheckConstraint("geom IS NOT NULL OR status = 'needs_location' OR address IS NOT NULL",
                        name="located_or_addressed"),
        # jurisdiction filter (LIKE 'prefix%') of event lists, KPIs, Open311 (migrations 0004,
        # 0010: an unplaced event's unit is the region it was recorded in)
        Index("ix_event_unit_prefix",
              text("(coalesce(community_code, subdistrict_code, region_code)) text_pattern_ops")),
        # duplicates (重复件) looked up by their original (migration 0012)
        Index("ix_event_duplicate_of", "duplicate_of",
              postgresql_where=text("duplicate_of IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), server_default="reported", index=True)
    priority: Mapped[int] = mapped_column(SmallInteger, server_default="2")
    address: Mapped[str | None] = mapped_column(String(200))
    reporter_name: Mapped[str | None] = mapped_column(String(50))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    source_crs: Mapped[str | None] = mapped_column(String(20))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    grid_version: Mapped[int | None] = mapped_column(Integer)
    community_code: Mapped[str | None] = mapped_column(String(12), index=True)
    subdistrict_code: Mapped[str | None] = mapped_column(String(12))
    region_code: Mapped[str | None] = mapped_column(String(12))
    """The region the event was recorded in (the intake key's jurisdiction): its unit for
    jurisdiction until it is placed in a community."""
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("grid_worker.id"))
    escalation_level: Mapped[str] = mapped_column(String(20), server_default="grid")
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    external_id: Mapped[str | None] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now(), index=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    geom: Mapped[WKBElement | None] = mapped_column(geometry("POINT"))
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="SET NULL"))
    """The original this event duplicates; its state follows the original's."""


class EventLog(Base):
    """One state change of an event: from, to, who, when, why."""

    __tablename__ = "event_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"),
                                          index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
