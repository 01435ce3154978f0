"""The case panel of ``/map/dispatch?event=CODE``: the event's facts, the actions the caller's
role may take in its state (gis.events.workflow.allowed_actions, the rule the API enforces
too), duplicate hints and the timeline in Beijing time with people named in Chinese.

The page's script (``/static/gridmap/case.js``) sends each action through ``gm.send`` after a
confirmation and then reloads only this panel (``/map/dispatch/case?event=CODE``). The
event's photos show as thumbnails (the images come from the API with the login cookie, a
read); the control labelled 上传照片 uploads one (multipart, cookie + CSRF token).
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from gis.access.callers import Caller
from gis.core import clock
from gis.events import photos, queries, workflow

CASE_JS = "/static/gridmap/case.js"
CASE_CSS = "/static/gridmap/case.css"
PANEL_URL = "/map/dispatch/case"
PHOTO_URL = "/api/v1/events/{code}/photos/{id}"
PHOTO_TYPES = ",".join(photos.ENCODERS)


def _esc(value: object) -> str:
    return html.escape("—" if value is None or value is pd.NA else str(value))


def _button(label: str, action: str, **data: str) -> str:
    attrs = "".join(f' data-{k.replace("_", "-")}="{_esc(v)}"' for k, v in data.items())
    return (f'<button type="button" class="gm-act" data-act="{action}"{attrs}>'
            f"{_esc(label)}</button>")


def _facts(event: pd.Series) -> str:
    rows = [("类别", event["category_label"]), ("状态", event["status_label"]),
            ("渠道", event.get("channel_label")),
            ("优先级", workflow.PRIORITIES.get(int(event["priority"]), event["priority"])),
            ("层级", workflow.ESCALATION_LABELS.get(event["escalation_level"])),
            ("上报时间", clock.local_text(event["reported_at"])),
            ("处置时限", clock.local_text(event["due_at"])),
            ("满意度", event.get("satisfaction")), ("描述", event.get("description"))]
    late = '<p class="gm-late">已超期</p>' if event.get("overdue") else ""
    original = event.get("duplicate_of")
    dup = (f'<p class="gm-dup-of">本件是 <a href="/map/dispatch?event={_esc(original)}">'
           f"{_esc(original)}</a> 的重复件，随原件处置。</p>") if original else ""
    body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
    return f'{late}{dup}<table class="gm-facts">{body}</table>'


def _moves(actions: dict[str, Any]) -> str:
    buttons = [_button(t["label"], "move", to=t["to"], needs_note="1" if t["needs_note"]
                       else "") for t in actions["transitions"]]
    if actions["escalate_to"]:
        buttons.append(_button(f"吹哨（升至{actions['escalate_label']}）", "escalate",
                               level=actions["escalation_level"]))
    refused = actions["escalate_refused"]
    why = f'<p class="gm-note">不能吹哨：{_esc(refused)}</p>' if refused else ""
    none = "" if buttons else '<p class="gm-note">当前状态下您没有可办理的操作。</p>'
    return f'<div class="gm-moves">{"".join(buttons)}</div>{why}{none}'


def _forms(actions: dict[str, Any], hints: list[dict[str, Any]]) -> str:
    parts = ['<label class="gm-field">备注/原因 <input id="gm-note" maxlength="2000" '
             'placeholder="退回时必填"></label>']
    if actions["may_prioritize"]:
        options = "".join(f'<option value="{k}"{" selected" if k == actions["priority"] else ""}>'
                          f"{v}</option>" for k, v in workflow.PRIORITIES.items())
        parts.append(f'<label class="gm-field">优先级 <select id="gm-priority">{options}</select>'
                     f'</label>{_button("设置优先级", "priority")}')
    if actions["may_rate"]:
        options = "".join(f'<option value="{s}">{s} 分</option>' for s in range(5, 0, -1))
        parts.append(f'<label class="gm-field">满意度 <select id="gm-score">{options}</select>'
                     f'</label>{_button("记录满意度回访", "rate")}')
    if actions["may_mark_duplicate"]:
        parts.append('<label class="gm-field">原件编号 <input id="gm-original" maxlength="40">'
                     f'</label>{_button("标记为重复件", "duplicate")}')
    return f'<div class="gm-forms">{"".join(parts)}</div>{_hints(actions, hints)}'


def _hints(actions: dict[str, Any], hints: list[dict[str, Any]]) -> str:
    if not hints:
        return ""
    items = "".join(
        f'<li><a href="/map/dispatch?event={_esc(h["code"])}">{_esc(h["code"])}</a> '
        f'{_esc(workflow.STATE_LABELS.get(h["status"], h["status"]))} · 相距 '
        f'{_esc(h["distance_m"])} 米'
        + (_button("标为其重复件", "duplicate", original=h["code"])
           if actions["may_mark_duplicate"] else "") + "</li>" for h in hints)
    return f'<h4>疑似重复（同类、50 米内）</h4><ul class="gm-hints">{items}</ul>'


def _timeline(log: list[dict[str, Any]], marked: list[str]) -> str:
    items = "".join(
        f"<li><b>{_esc(item['to_label'])}</b> <time>{_esc(item['at_local'])}</time> · "
        f"{_esc(item['actor_label'])}"
        + (f"<br><small>{_esc(item['note'])}</small>" if item.get("note") else "") + "</li>"
        for item in reversed(log))
    dups = (f'<p class="gm-note">重复件：{"、".join(_esc(c) for c in marked)}（随本件处置）</p>'
            if marked else "")
    return f'<h4>处置时间线（北京时间，最新在上）</h4>{dups}<ol class="gm-log">{items}</ol>'


def _photos(items: list[dict[str, Any]], code: str) -> str:
    thumbs = "".join(
        f'<a href="{_esc(url)}" target="_blank" rel="noopener"><img src="{_esc(url)}'
        '?thumb=true" '
        f'loading="lazy" alt="事件照片 {n}（{_esc(p["uploaded_at_local"])} 上传）"></a>'
        for n, p in enumerate(items, 1)
        for url in [PHOTO_URL.format(code=code, id=p["id"])])
    empty = "" if items else '<p class="gm-note">暂无照片。</p>'
    return (f'<h4>现场照片（{len(items)}）</h4>{empty}<div class="gm-photos">{thumbs}</div>'
            f'<label class="gm-field gm-upload">上传照片 <input type="file" id="gm-photo" '
            f'accept="{PHOTO_TYPES}"></label><p class="gm-note">JPEG、PNG 或 WebP；'
            "位置等拍摄信息会被去除。</p>")


def case_panel_html(session: Session, caller: Caller, code: str, *,
                    reveal: bool = False) -> str:
    """The case panel's inner HTML for event ``code`` as ``caller`` may work it (escaped)."""
    feature = queries.event_feature(session, code, reveal=reveal, scope=caller.scope,
                                    actor=caller.name)
    event = pd.Series(feature["properties"])
    actions = workflow.event_actions(session, code, role=caller.role, scope=caller.scope)
    return (f'<div class="gm-case-body" data-event="{_esc(code)}" '
            f'data-level="{_esc(actions["escalation_level"])}">'
            f"<h3>事件 {_esc(code)}</h3>{_facts(event)}{_moves(actions)}"
            f"{_forms(actions, feature['duplicates'])}"
            f"{_photos(photos.list_photos(session, code, scope=caller.scope), code)}"
            f"{_timeline(feature['timeline'], feature['marked_duplicates'])}</div>")


def case_panel(session: Session, caller: Caller, code: str, *, reveal: bool = False) -> str:
    """The whole panel: a status line for results and the panel body that case.js reloads."""
    flag = "true" if reveal else "false"
    return (f'<div id="gm-case" data-reveal="{flag}"><p id="gm-case-msg" role="status" '
            f'aria-live="polite"></p><div id="gm-case-inner">'
            f"{case_panel_html(session, caller, code, reveal=reveal)}</div></div>")
