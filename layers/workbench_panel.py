"""The planner workbench's side panel (``/map/plans``): area picker, problem list, the
生成方案 form, the plans list and the chosen plan's review with 撤销 / 应用 / 驳回.

Plain HTML built from frames and the plan report; every value is escaped. The buttons are
wired by layers/static/workbench.js, which writes through ``gm.send`` (CSRF token + login
cookie). Counts shown before 应用 are the plan report's own (gis.plans metrics).
"""

from __future__ import annotations

import html

import pandas as pd

from gis.core.clock import local_text_series
from gis.grids.household_rules import LoadRules
from gis.plans.listing import KIND_LABELS, STATUS_LABELS
from layers import plans as plan_layers
from layers import workbench_staffing as staff


def _e(value: object) -> str:
    return html.escape("" if value is None or value is pd.NA else str(value))


def picker_html(areas: pd.DataFrame, chosen: str | None) -> str:
    """The community/subdistrict picker (``areas``: code, name, level)."""
    groups = []
    for level, label in (("subdistrict", "街道"), ("community", "社区")):
        rows = areas[areas["level"] == level]
        options = "".join(f'<option value="{_e(c)}"{" selected" if c == chosen else ""}>'
                          f"{_e(n)}</option>" for c, n in zip(rows["code"], rows["name"],
                                                               strict=True))
        groups.append(f'<optgroup label="{label}">{options}</optgroup>' if options else "")
    blank = "" if chosen else '<option value="" selected>请选择</option>'
    return (f'<section><label for="gm-scope"><b>社区/街道</b></label> '
            f'<select id="gm-scope" name="scope">{blank}{"".join(groups)}</select></section>')


def qa_html(load: pd.DataFrame, issues: pd.DataFrame, labels: dict[str, str]) -> str:
    """Problems of the area: grids out of their household range (with households and
    reason) and topology problems by check."""
    bad = load[load["status"].isin(["oversized", "undersized"])]
    rows = "".join(
        f'<tr data-grid="{_e(c)}"><td>{_e(c)}</td><td>{_e(n)}</td><td>{_e(str(r).split(" (")[0])}'
        "</td></tr>" for c, n, r in zip(bad["code"], bad["households"], bad["reason"],
                                        strict=True))
    table = (f'<table class="gm-table" id="gm-out-of-range"><tr><th>网格</th><th>户数</th>'
             f"<th>原因</th></tr>{rows}</table>" if rows else "<p>无</p>")
    counts = issues["check"].value_counts() if not issues.empty else pd.Series(dtype=int)
    topo = "".join(f"<li>{_e(labels.get(str(c), str(c)).split(' (')[0])}：{n} 处</li>"
                   for c, n in counts.items()) or "<li>无</li>"
    return (f'<details open><summary><b>问题清单</b>（户数超出范围 {len(bad)} 个网格，'
            f"拓扑问题 {len(issues)} 处）</summary><h4>户数超出范围的网格</h4>{table}"
            f'<h4>拓扑问题</h4><ul id="gm-topology">{topo}</ul></details>')


def generate_html(scope: str | None, rules: LoadRules, locked: list[str]) -> str:
    """The 生成方案 form: kind, household range; locked grids are kept as they are."""
    if not scope:
        return "<p>先选择社区或街道，再生成方案。</p>"
    locks = "、".join(_e(c) for c in locked) or "无"
    return f"""<details open><summary><b>生成方案</b></summary>
<div><label>方案类型 <select id="gm-kind"><option value="balance">均衡调整（按户数拆分/合并）
</option><option value="merge">多格合一</option></select></label></div>
<div><label>户数下限 <input id="gm-min" type="number" min="0" value="{rules.residential_min}"
 style="width:5em"></label> <label>户数上限 <input id="gm-max" type="number" min="1"
 value="{rules.residential_max}" style="width:5em"></label></div>
<div>锁定网格（保持不变）：{locks}</div>
<button id="gm-generate" type="button" data-scope="{_e(scope)}">生成方案</button>
<div id="gm-generate-status" role="status"></div></details>"""


def plans_html(listing: pd.DataFrame, scope: str | None, chosen: int | None) -> str:
    """The plans of the area with their state in Chinese, newest first, each a link."""
    if listing.empty:
        return "<details open><summary><b>方案列表</b></summary><p>暂无方案</p></details>"
    when = local_text_series(listing["created_at"])
    mark = ' aria-current="true"'
    rows = "".join(
        f'<tr{mark if int(i) == chosen else ""}><td><a href="/map/plans?'
        f'scope={_e(s)}&amp;plan={int(i)}">方案 {int(i)}</a></td><td>{_e(KIND_LABELS.get(k, k))}'
        f'</td><td class="gm-state-{_e(st)}">{_e(STATUS_LABELS.get(st, st))}</td><td>{_e(w)}</td>'
        "</tr>" for i, s, k, st, w in zip(listing["id"], listing["scope_code"], listing["kind"],
                                          listing["status"], when, strict=True))
    return (f'<details open><summary><b>方案列表</b>（{len(listing)}）</summary>'
            f'<table class="gm-table" id="gm-plans"><tr><th>方案</th><th>类型</th><th>状态</th>'
            f"<th>创建时间</th></tr>{rows}</table></details>")


def review_html(report: dict, undo_depth: int, staffing: str = "") -> str:
    """The chosen plan: metrics, what applying changes, the ``staffing`` panel
    (layers/workbench_staffing.py), 撤销 / 应用 / 驳回, crosswalk."""
    draft = report["status"] == "draft"
    off = "" if draft else " disabled"
    undo_off = "" if draft and undo_depth else " disabled"
    return (f'<section id="gm-review" data-plan="{int(report["id"])}" '
            f'data-version="{int(report["version"])}">{plan_layers.metrics_html(report)}'
            f"<div class='gm-actions'>"
            f'<button id="gm-undo" type="button"{undo_off}>撤销</button> '
            f'<button id="gm-apply" type="button"{off}>应用</button> '
            f'<button id="gm-reject" type="button"{off}>驳回</button>'
            f'<span class="gm-hint">可撤销 {undo_depth} 步</span></div>'
            f'<div id="gm-plan-status" role="status"></div>{staffing}'
            f"<details><summary>对照表（原网格 → 新网格）</summary>"
            f"{plan_layers.crosswalk_html(report['crosswalk'])}</details></section>")


def confirm_html(report: dict) -> str:
    """The confirmation dialog: exactly what applying changes, as the plan report counts it."""
    return (f'<dialog id="gm-confirm" aria-labelledby="gm-confirm-title">'
            f'<h3 id="gm-confirm-title"></h3><ul id="gm-confirm-apply" hidden>'
            f"{plan_layers.moves_html(report['metrics'])}</ul>"
            f'<p id="gm-confirm-reject" hidden>方案作废，现状网格、建筑和事件都不变。</p>'
            f"{staff.confirm_unstaffed_html(report)}"
            f'<button id="gm-confirm-ok" type="button">确认</button> '
            f'<button id="gm-confirm-cancel" type="button">取消</button></dialog>')
