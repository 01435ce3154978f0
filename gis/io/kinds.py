"""What each importable KIND holds: its fields, geometry, references and table.

Field names are the API's field names (the model column names); a file's columns are matched
to them case-insensitively, and also by their first 10 characters because Shapefiles cut
longer names (``community_code`` arrives as ``community_``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from gis.core.errors import InvalidInput
from gis.events.categories import CHANNEL_ALIASES, CHANNEL_LABELS
from gis.models.admin import GRID_KINDS, GRID_THEMES, REGION_LEVELS, WORKER_ROLES
from gis.models.buildings import RESIDENT_CATEGORIES
from gis.models.events import EVENT_CHANNELS
from gis.models.facilities import FACILITY_LEVELS, FACILITY_TYPES

POLYGON: Final = ("Polygon", "MultiPolygon")
POINT: Final = ("Point",)
LINE: Final = ("LineString", "MultiLineString")


@dataclass(frozen=True)
class Field:
    """One column of a KIND: its type, whether it must be present, allowed values, default.

    ``kind`` is one of str, int, bool, date, datetime, list (a comma/、-separated list).
    ``length`` is the longest text the table column takes.
    """

    name: str
    kind: str = "str"
    required: bool = False
    choices: tuple[str, ...] | None = None
    default: object = None
    length: int | None = None
    pattern: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    pad_to: int | None = None
    """Digits a shorter all-digit code is padded to with zeros (a GB/T 2260 six-digit code
    110101 is 110101000000 in the 12-digit statistical scheme); reported as a repair."""


@dataclass(frozen=True)
class Ref:
    """A field naming another object by code; ``target`` is a lookup in gis.io.references."""

    field: str
    target: str
    id_column: str | None = None
    """Table column that takes the found id (None: the code itself is stored)."""
    also_in_file: bool = False
    """The referenced object may come in the same file (a region's parent)."""


@dataclass(frozen=True)
class Kind:
    """One importable/exportable KIND (regions, grids, …)."""

    name: str
    table: str | None
    fields: tuple[Field, ...]
    geometry: tuple[str, ...] = ()
    """Accepted geometry types; empty for attribute-only kinds."""
    geometry_required: bool = True
    refs: tuple[Ref, ...] = ()
    public: bool = False
    """Whether anonymous callers may export it (public layers only)."""
    personal: tuple[str, ...] = ()
    """Personal fields masked on export unless the caller may see them."""
    has_code: bool = True

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def get(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


_CODE = Field("code", required=True, length=32)
_COMMUNITY = Field("community_code", length=12)
_LEVELS = {"省": "province", "自治区": "province", "直辖市": "province", "市": "city",
           "地级市": "city", "地区": "city", "自治州": "city", "盟": "city", "区县": "district",
           "区": "district", "县": "district", "县级市": "district", "旗": "district",
           "街道": "subdistrict", "乡镇": "subdistrict", "镇": "subdistrict", "乡": "subdistrict",
           "社区": "community", "村": "community", "居委会": "community", "村委会": "community"}
"""Chinese level names a file may give (省/市/区县/街道/社区 and their kin)."""
_GENDERS = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}
_CHANNEL_NAMES = {**CHANNEL_ALIASES, **{label: code for code, label in CHANNEL_LABELS.items()}}
"""Files may name channels in Chinese (网格员巡查, 网格巡查), as people type them; stored as
codes."""

KINDS: Final[dict[str, Kind]] = {k.name: k for k in (
    Kind("regions", "region", (
        Field("code", required=True, length=12, pattern=r"^[0-9]{12}$", pad_to=12),
        Field("name", required=True, length=100),
        Field("level", required=True, choices=REGION_LEVELS, aliases=_LEVELS),
        Field("parent_code", length=12, pad_to=12),
    ), POLYGON, refs=(Ref("parent_code", "region", also_in_file=True),), public=True),
    Kind("grids", "grid", (
        _CODE, Field("name", required=True, length=100),
        Field("theme", choices=GRID_THEMES, default="unified"),
        Field("kind", choices=GRID_KINDS, default="residential"),
        _COMMUNITY, Field("locked", kind="bool", default=False),
    ), POLYGON, refs=(Ref("community_code", "region"),), public=True),
    Kind("buildings", "building", (
        _CODE, Field("address", required=True, length=200), Field("compound", length=100),
        Field("floors", kind="int"), Field("households", kind="int", default=0),
        Field("residents", kind="int", default=0),
        Field("use", length=20, default="residential"), _COMMUNITY, Field("grid_code"),
    ), POLYGON, refs=(Ref("community_code", "region"), Ref("grid_code", "grid", "grid_id"))),
    Kind("facilities", "facility", (
        _CODE, Field("name", required=True, length=100),
        Field("type", required=True, choices=FACILITY_TYPES),
        Field("level", choices=FACILITY_LEVELS), Field("capacity", kind="int"),
        Field("opening_hours", length=100), Field("address", length=200),
        Field("phone", length=20), _COMMUNITY,
    ), (*POINT, *POLYGON), refs=(Ref("community_code", "region"),), public=True),
    Kind("grid_workers", "grid_worker", (
        _CODE, Field("name", required=True, length=50),
        Field("role", choices=WORKER_ROLES, default="full_time"), Field("phone", length=20),
        Field("duties"), Field("supervision_phone", length=20), Field("grid_codes", kind="list"),
    ), refs=(Ref("grid_codes", "grid"),), public=True),
    Kind("households", "household", (
        Field("code", required=True, length=40),
        Field("building_code", required=True), Field("unit", length=20),
        Field("room", length=20), Field("head_name", length=50), Field("phone", length=20),
        Field("size", kind="int", default=1),
    ), refs=(Ref("building_code", "building", "building_id"),),
        personal=("head_name", "phone")),
    Kind("residents", "resident", (
        Field("code", required=True, length=40), Field("household_code"),
        Field("building_code"), Field("name", required=True, length=50),
        Field("id_number", length=18), Field("phone", length=20),
        Field("gender", choices=("M", "F"), aliases=_GENDERS), Field("birth_date", kind="date"),
        Field("relation", length=20), Field("categories", kind="list", choices=RESIDENT_CATEGORIES),
    ), refs=(Ref("household_code", "household", "household_id"),
             Ref("building_code", "building", "building_id")),
        personal=("name", "id_number", "phone")),
    Kind("events", "event", (
        Field("code", required=True, length=40), Field("category", required=True, length=40),
        Field("description"), Field("channel", choices=EVENT_CHANNELS, default="other",
                                    aliases=_CHANNEL_NAMES),
        Field("address", length=200), Field("reporter_name", length=50),
        Field("reporter_phone", length=20), Field("reported_at", kind="datetime"),
    ), POINT, geometry_required=False, personal=("reporter_name", "reporter_phone")),
    Kind("roads", None, (Field("name", length=100), Field("kind", length=30),
                         # OSM node ids of a way's ends: keep OSM topology (bridges)
                         Field("u", kind="int"), Field("v", kind="int")), LINE,
         public=True, has_code=False),
)}


def get_kind(name: str) -> Kind:
    """The KIND called ``name``; InvalidInput naming the known ones otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise InvalidInput(f"unknown kind '{name}': use one of {', '.join(KINDS)}") from None
