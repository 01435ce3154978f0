"""Chinese names for people: channels, who acted in a timeline, timeline notes.

The API keeps machine codes (``12345``, ``key:3:dispatcher``); pages and timelines for people
show ``12345热线`` and ``调度员·街道值班`` (the key's label, else its role). Older log notes
written in English (``上报 via patrol``, ``吹哨 escalated grid → community``) read in Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from gis.events import categories, workflow

CHANNEL_LABELS: Final = categories.CHANNEL_LABELS  # one list of channel names
ROLE_LABELS: Final = {
    "admin": "管理员", "planner": "规划员", "dispatcher": "调度员", "grid_worker": "网格员",
    "viewer": "查看者", "supervisor": "督查员", "resident": "居民", "cli": "命令行",
    "system": "系统", "anonymous": "匿名", "demo": "演示数据",
}
_KEY = re.compile(r"^key:(\d+):(\w+)$")
_NOTES: Final = (
    (re.compile(r"via (\w+)"), lambda m: f"· 渠道：{channel_label(m.group(1))}"),
    (re.compile(r"吹哨 escalated (\w+) → (\w+)"),
     lambda m: f"吹哨：{_level(m.group(1))} → {_level(m.group(2))}"),
    (re.compile(r"满意度 satisfaction (\d)/5"),
     lambda m: f"满意度回访：{m.group(1)} 分（满分 5 分）"),
    (re.compile(r"^priority (\d) → (\d)"),
     lambda m: f"优先级：{_priority(m.group(1))} → {_priority(m.group(2))}"),
)


def channel_label(code: str | None) -> str:
    """The Chinese name of a channel code (the code itself when unknown)."""
    return CHANNEL_LABELS.get(code or "", code or "—")


def actor_label(actor: str | None, key_labels: Mapping[int, str] | None = None) -> str:
    """Who acted, for people: ``key:3:dispatcher`` is 调度员·<the key's label> (调度员（密钥 3）
    without one), ``channel:12345`` 渠道：12345热线, ``open311:…`` via Open311."""
    actor = actor or ""
    if match := _KEY.match(actor):
        role = ROLE_LABELS.get(match.group(2), match.group(2))
        label = (key_labels or {}).get(int(match.group(1)))
        return f"{role}·{label}" if label else f"{role}（密钥 {match.group(1)}）"
    if actor.startswith("channel:"):
        return f"渠道：{channel_label(actor.removeprefix('channel:'))}"
    if actor.startswith("open311:"):
        return f"Open311 接口（{actor_label(actor.removeprefix('open311:'), key_labels)}）"
    return ROLE_LABELS.get(actor, actor or "—")


def key_ids(actors: list[str]) -> list[int]:
    """The API key ids named by ``key:N:role`` actors."""
    return sorted({int(m.group(1)) for a in actors if (m := _KEY.match(a or ""))})


def note_text(note: str | None) -> str | None:
    """A timeline note for people (older English fragments put in Chinese)."""
    if not note:
        return note
    for pattern, chinese in _NOTES:
        note = pattern.sub(chinese, note)
    return note


def _level(code: str) -> str:
    return workflow.ESCALATION_LABELS.get(code, code)


def _priority(code: str) -> str:
    return workflow.PRIORITIES.get(int(code), code)
