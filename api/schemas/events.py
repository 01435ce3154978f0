"""Events (工单): one event with its timeline, lists, batch intake, overdue."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Feature, FeatureCollection, Items, Number, Open


class EventProperties(Open):
    """An event: category, state, place in the grid system, worker, clocks (ISO 8601).

    Reporter name and phone are masked unless the key's role may see them."""

    code: str
    category: str
    category_label: str | None = None
    description: str | None = None
    channel: str | None = None
    channel_label: str | None = None
    status: str
    status_label: str | None = None
    priority: int | None = None
    address: str | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    source_crs: str | None = None
    grid_code: str | None = None
    grid_name: str | None = None
    grid_version: int | None = None
    community_code: str | None = None
    community_name: str | None = None
    subdistrict_code: str | None = None
    region_code: str | None = Field(None, description="the region the event was recorded in "
                                    "(the intake key's jurisdiction); its unit until placed")
    worker_name: str | None = None
    worker_phone: str | None = None
    escalation_level: str | None = None
    satisfaction: int | None = None
    external_id: str | None = None
    reported_at: str | None = None
    due_at: str | None = None
    closed_at: str | None = None
    duplicate_of: str | None = Field(None, description="the original of a duplicate (重复件)")
    overdue: bool | None = None


class TimelineEntry(Open):
    """One state change: from, to, who, when, note."""

    from_status: str | None = None
    to_status: str
    actor: str | None = None
    note: str | None = None
    at: str
    to_label: str | None = None
    actor_label: str | None = Field(None, description="who, for people (e.g. 调度员·张三)")
    at_local: str | None = Field(None, description="when, Beijing time YYYY-MM-DD HH:MM")


class Duplicate(Open):
    """A possible duplicate: same category within 50 m."""

    code: str
    status: str | None = None
    description: str | None = None
    reported_at: str | None = None
    distance_m: Number | None = None


class EventFeature(Feature[EventProperties]):
    """One event as a Feature (geometry null while it waits for a location), with its
    timeline and duplicate hints."""

    timeline: list[TimelineEntry] = Field(default_factory=list)
    duplicates: list[Duplicate] = Field(default_factory=list)
    marked_duplicates: list[str] = Field(
        default_factory=list, description="events marked as duplicates (重复件) of this one")


class TransitionOption(Open):
    """A move the caller may make now: the state it leads to and its button."""

    to: str
    label: str
    needs_note: bool = Field(description="退回 needs a reason")


class EventActions(Open):
    """What the caller's role may do with the event in its state now (the one rule the API
    enforces): moves, 吹哨 (the next level, or why not), priority, callback, duplicate."""

    code: str
    status: str
    status_label: str
    transitions: list[TransitionOption]
    escalation_level: str
    escalation_label: str
    escalate_to: str | None = None
    escalate_label: str | None = None
    escalate_refused: str | None = Field(None, description="why 吹哨 is not offered")
    priority: int
    may_prioritize: bool
    may_rate: bool
    may_mark_duplicate: bool


EventCollection = FeatureCollection[EventProperties]


class EventSummary(Open):
    """Code, state and grid of an event just taken."""

    code: str
    status: str
    grid_code: str | None = None
    grid_version: int | None = None
    community_code: str | None = None
    subdistrict_code: str | None = None


class EventBatch(Open):
    """``POST /api/v1/events/batch``."""

    count: int
    events: list[EventSummary]


class OverdueItem(Open):
    """An open event past its time limit (超期)."""

    code: str
    category: str
    status: str
    priority: int | None = None
    due_at: str
    grid_code: str | None = None
    overdue_hours: Number


OverdueList = Items[OverdueItem]


class Photo(Open):
    """A photo of an event as stored (re-encoded without metadata); ``url`` serves it."""

    id: int
    url: str = Field(description="the image itself (same access as the event)")
    thumb_url: str = Field(description="its thumbnail, at most 320 px on its longer side")
    content_type: str = Field(examples=["image/jpeg"])
    width: int
    height: int
    size_bytes: int
    sha256: str = Field(description="of the stored bytes; also the image's ETag")
    source: str = Field(description="staff (API, case page) or open311 (a reporter's media)")
    uploaded_by: str
    uploaded_at: str = Field(description="ISO 8601")
    uploaded_at_local: str = Field(description="Beijing time YYYY-MM-DD HH:MM")


class PhotoList(Items[Photo]):
    """The photos of one event, oldest first."""
