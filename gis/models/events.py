"""Events (工单) with their assignment and an append-only log of every state change.

``event`` is partitioned by month of ``reported_at`` (migration 0015): its key is
(id, reported_at) and ids and codes are unique through ``event_registry``, which the log and
duplicates reference (triggers keep it in step with ``event``)."""

from datetime import datetime

from geoalchemy2 import WKBElement
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
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
        # a partitioned table's key includes its partition key; ids stay unique through
        # the sequence and event_registry (migration 0015)
        PrimaryKeyConstraint("id", "reported_at", name="pk_event"),
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
        # a grid's events of a period, or newest first (migration 0015)
        Index("ix_event_grid_id", "grid_id", "reported_at"),
        # a grid's events not yet closed (grid list): few per month once a month is closed
        Index("ix_event_grid_not_closed", "grid_id",
              postgresql_where=text("gm_event_not_closed(status)")),
        {"postgresql_partition_by": "RANGE (reported_at)"},
    )
    # the ORM identifies an event by its id alone (ids are unique)
    __mapper_args__ = {"primary_key": ["id"]}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    """Unique across partitions through event_registry.code."""
    category: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), server_default="reported", index=True)
    priority: Mapped[int] = mapped_column(SmallInteger, server_default="2")
    address: Mapped[str | None] = mapped_column(String(200))
    reporter_name: Mapped[str | None] = mapped_column(String(50))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    source_crs: Mapped[str | None] = mapped_column(String(20))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
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
        ForeignKey("event_registry.id", ondelete="SET NULL"))
    """The original this event duplicates; its state follows the original's."""


class EventRegistry(Base):
    """Every event's id and code, unique across the month partitions of ``event``; kept by
    triggers on ``event`` (migration 0015), never written by gridmap's code."""

    __tablename__ = "event_registry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(40), unique=True)


class EventLog(Base):
    """One state change of an event: from, to, who, when, why."""

    __tablename__ = "event_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event_registry.id", ondelete="CASCADE"),
                                          index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


PHOTO_SOURCES = ("staff", "open311")
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


class EventPhoto(Base):
    """A photo of an event, re-encoded without metadata (gis.events.photos), its bytes in the
    row so it is committed with the transaction that acknowledges it.

    ``event_id`` names the event without a foreign key: ``event`` is partitioned by month
    (a foreign key to it would need its partition key too); triggers on ``event`` delete the
    photos of deleted events instead (migration 0016). ``source`` 'open311' marks a photo a
    reporter sent with a GeoReport request: the one ``media_url`` shows to whoever may read
    that request; 'staff' photos follow the event's own access rules only."""

    __tablename__ = "event_photo"
    __table_args__ = (
        CheckConstraint(f"source IN {PHOTO_SOURCES}", name="source_known"),
        CheckConstraint(f"content_type IN {PHOTO_TYPES}", name="content_type_known"),
        CheckConstraint("size_bytes = octet_length(data)", name="size_matches"),
        CheckConstraint("width > 0 AND height > 0", name="dimensions_positive"),
        # the event's photos by event_id, and one copy per event: a retried upload (a phone
        # on a bad network) finds the first
        Index("ux_event_photo_event_sha256", "event_id", "sha256", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    """Of the stored (cleaned) bytes: the ETag, and what a repeated upload is matched by."""
    thumb: Mapped[bytes] = mapped_column(LargeBinary)
    """The picture at most 320 pixels on its longer side, same format (for pages' lists)."""
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())
