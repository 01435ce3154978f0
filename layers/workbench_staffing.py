"""The workbench's staffing panel (``/map/plans``): every new grid of a draft with its proposed
grid worker and where the proposal came from, grids without one first; a labelled select per
grid (``网格员（#3）``) offering the community's grid workers.

Built from the plan report's ``staffing`` (gis.plans.staffing) and the worker candidates
(``gis.plans.list_worker_candidates``); every value escaped. layers/static/workbench.js sends
a choice as ``PUT /api/v1/plans/{id}/workers`` with If-Match and reloads the review.
"""

from __future__ import annotations

import html

import pandas as pd

from gis.plans.staffing import SOURCE_LABELS

GRID_KINDS = {"residential": "住宅", "commercial": "商务楼宇", "industrial": "园区",
              "rural": "农村", "special": "专属"}
"""Chinese names of grid kinds; an unknown kind shows as itself."""


def _e(value: object) -> str:
    return html.escape("" if value is None or value is pd.NA else str(value))


def _kind(kind: object) -> str:
    return GRID_KINDS.get(str(kind), str(kind or ""))


def _option(worker: dict, chosen: str | None) -> str:
    seqs = worker.get("seqs") or []
    where = "、".join(f"#{int(s)}" for s in seqs)
    note = f"方案{where}" if where else "空闲"
    selected = " selected" if worker["worker_code"] == chosen else ""
    return (f'<option value="{_e(worker["worker_code"])}"{selected}>{_e(worker["worker_name"])}'
            f' {_e(worker["worker_code"])}（{note}）</option>')


def _select(grid: dict, candidates: list[dict], disabled: bool) -> str:
    """The labelled select of one new grid: its community's workers (all when none)."""
    seq = int(grid["seq"])
    mine = [w for w in candidates if w.get("community_code") == grid.get("community_code")]
    workers = grid.get("workers") or []
    chosen = workers[0]["worker_code"] if workers else None
    listed = mine or candidates
    picked = any(w.get("source") == "planner" for w in workers)
    shown = chosen in {w["worker_code"] for w in listed}
    blank = "恢复建议（取消指定）" if picked else ("改为…" if workers else "请选择网格员")
    first = f'<option value=""{"" if shown else " selected"}>{blank}</option>'
    options = "".join(_option(w, chosen) for w in listed)
    attrs = (f'id="gm-worker-{seq}" data-seq="{seq}" aria-label="网格员（#{seq}）"'
             + (' data-picked="1"' if picked else "") + (" disabled" if disabled else ""))
    return f"<select {attrs}>{first}{options}</select>"


def _workers_text(workers: list[dict]) -> str:
    if not workers:
        return '<b class="gm-unstaffed-mark">⚠ 无网格员</b>'
    return "、".join(f'{_e(w.get("worker_name"))}（{_e(_source(w.get("source")))}）'
                    for w in workers)


def _source(source: object) -> str:
    return SOURCE_LABELS.get(str(source), str(source or ""))


def staffing_html(report: dict, candidates: list[dict]) -> str:
    """Every new grid of a draft (unstaffed first, marked) with its workers, their source and
    a select of ``candidates`` (worker_code, worker_name, community_code, seqs)."""
    grids = (report.get("staffing") or {}).get("grids") or []
    if report["status"] != "draft" or not grids:
        return ""
    ordered = sorted(grids, key=lambda g: (bool(g.get("workers")), int(g["seq"])))
    rows = "".join(_grid_item(g, candidates) for g in ordered)
    gaps = len(unstaffed(report))
    return (f'<details open id="gm-staffing"><summary><b>新网格的网格员</b>'
            f"（{len(grids)} 个新网格，无网格员 {gaps} 个）</summary>"
            f"<ul class='gm-staff-list'>{rows}</ul></details>")


def _grid_item(grid: dict, candidates: list[dict]) -> str:
    seq, workers = int(grid["seq"]), grid.get("workers") or []
    mark = "" if workers else ' class="gm-unstaffed"'
    return (f'<li data-seq="{seq}"{mark}><b>#{seq}</b> {_e(_kind(grid.get("kind")))} '
            f'<small>{_e(grid.get("code"))}</small><br>{_workers_text(workers)}<br>'
            f"{_select(grid, candidates, not candidates)}</li>")


def unstaffed(report: dict) -> list[dict]:
    """The new grids the report lists as without a grid worker (seq, kind, code)."""
    return list((report.get("staffing") or {}).get("unstaffed") or [])


def confirm_unstaffed_html(report: dict) -> str:
    """For the apply confirmation: exactly the grids that would stay without a worker; empty
    when there are none (apply then goes without ``confirm_unstaffed``)."""
    gaps = unstaffed(report)
    if not gaps:
        return ""
    items = "".join(f'<li data-seq="{int(g["seq"])}">#{int(g["seq"])} {_e(g.get("code"))}'
                    f"（{_e(_kind(g.get('kind')))}）</li>" for g in gaps)
    return (f'<div id="gm-confirm-unstaffed" hidden><p>注意：以下 {len(gaps)} 个新网格仍无网格员，'
            f"确认后照样应用：</p><ul>{items}</ul></div>")
