"""Event categories (事件分类): stable machine codes, Chinese labels, handling time limits.

One table shared by the demo generator, the event workflow (due dates) and the API. The time
limit is the hours from report to closure before an event counts as overdue (超期).
"""

from __future__ import annotations

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


CHANNEL_LABELS: Final[dict[str, str]] = {
    "12345": "12345热线", "patrol": "网格员巡查", "resident_app": "居民随手拍",
    "city_management": "城管平台", "open311": "Open311", "other": "其他",
}
"""Chinese names of the intake channels (gis.models.events.EVENT_CHANNELS), for people."""
