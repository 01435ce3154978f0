"""Event categories (事件分类): stable machine codes, Chinese labels, handling time limits.

One table shared by the demo generator, the event workflow (due dates) and the API. The time
limit is the hours from report to closure before an event counts as overdue (超期).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Category:
    """An event category: ``code`` for machines, ``label_zh`` for people."""

    code: str
    label_zh: str
    time_limit_hours: int
    label_en: str


CATEGORIES: Final[tuple[Category, ...]] = (
    Category("sanitation", "环境卫生", 24, "sanitation"),
    Category("street_vending", "占道经营", 4, "street vending / occupying the road"),
    Category("illegal_construction", "违章搭建", 72, "illegal construction"),
    Category("noise", "噪音扰民", 24, "noise nuisance"),
    Category("facility_damage", "设施损坏", 48, "damaged public facility"),
    Category("dispute", "矛盾纠纷", 72, "neighbour dispute"),
    Category("safety_hazard", "安全隐患", 12, "safety hazard"),
    Category("parking", "乱停乱放", 8, "illegal parking"),
    Category("greening", "园林绿化", 72, "greenery"),
    Category("property_service", "物业服务", 72, "property management"),
    Category("other", "其他", 72, "other"),
)

BY_CODE: Final[dict[str, Category]] = {c.code: c for c in CATEGORIES}


def get_category(code: str) -> Category | None:
    """The category with ``code``, or None when the code is unknown."""
    return BY_CODE.get(code)


CATEGORY_LABELS: Final[dict[str, str]] = {c.code: c.label_zh for c in CATEGORIES}
CHANNEL_LABELS: Final[dict[str, str]] = {
    # the codes of gis.models.events.EVENT_CHANNELS
    "12345": "12345热线", "patrol": "网格员巡查", "resident_app": "居民随手拍",
    "city_management": "城管平台", "open311": "Open311 接口", "other": "其他渠道",
}
"""Chinese names of the intake channels, for people (one list: pages, timelines, exports)."""
CHANNEL_ALIASES: Final[dict[str, str]] = {
    "网格巡查": "patrol", "巡查": "patrol", "数字城管": "city_management", "热线": "12345",
    "12345": "12345", "其他": "other", "Open311": "open311",
}
"""Other names people type for channels (accepted as input, never shown)."""


def code_from_name(value: str, labels: Mapping[str, str],
                   aliases: Mapping[str, str] | None = None) -> str:
    """The code ``value`` names: a code of ``labels`` as it is, or the code whose Chinese label
    (or alias) ``value`` is (surrounding blanks ignored); anything else unchanged, for the
    caller's check to refuse with the list of valid codes. The API keeps codes; people may
    type names."""
    text = value.strip()
    if text in labels:
        return text
    for code, label in labels.items():
        if label == text:
            return code
    return (aliases or {}).get(text, value)


def category_code(value: str) -> str:
    """A category code from its code or Chinese name (环境卫生 -> sanitation)."""
    return code_from_name(value, CATEGORY_LABELS)


def channel_code(value: str) -> str:
    """A channel code from its code or Chinese name (网格员巡查 or 网格巡查 -> patrol)."""
    return code_from_name(value, CHANNEL_LABELS, CHANNEL_ALIASES)
