"""The 数字驾驶舱 over HTTP on the demo district: the page, /api/v1/kpis' region, total and
trend, and the Excel export (opened with openpyxl: Chinese headers, the API's numbers)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from gis.access import keys

PERIOD = {"from": "2026-09-01", "to": "2026-10-31"}
SUBDISTRICT, NORTH, SOUTH = "320706013000", "320706013001", "320706013004"


def _auth(session, role: str = "viewer", region: str | None = None) -> dict:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role, region_code=region)}"}


def test_cockpit_page_loads_echarts_and_its_script_offline(demo_client, demo_session):
    page = demo_client.get("/map/cockpit", headers=_auth(demo_session))
    assert page.status_code == 200
    for url in ("/static/vendor/echarts/echarts.min.js", "/static/gridmap/cockpit.js",
                "/static/gridmap/cockpit.css"):
        assert url in page.text
        assert demo_client.get(url).status_code == 200
    assert "开始日期" in page.text and "导出Excel" in page.text
    assert 'aria-current="page"' in page.text
    assert demo_client.get("/map/cockpit", follow_redirects=False).status_code in (303, 401)


def test_kpis_of_a_region_add_up_and_total_matches_the_parent_row(demo_client, demo_session):
    auth = _auth(demo_session)
    top = demo_client.get("/api/v1/kpis", params={**PERIOD, "level": "community",
                                                  "trend": "week"}, headers=auth).json()
    north = next(i for i in top["items"] if i["unit_code"] == NORTH)
    grids = demo_client.get("/api/v1/kpis", params={**PERIOD, "level": "grid",
                                                    "region": NORTH}, headers=auth).json()
    assert grids["region"] == NORTH and grids["total"] == north
    assert sum(i["events"] for i in grids["items"]) == north["events"]
    assert sum(north["by_channel"].values()) == north["events"] > 0
    assert sum(p["events"] for p in top["trend"]) == top["total"]["events"]
    assert top["total"]["events"] == sum(i["events"] for i in top["items"])


def test_a_scoped_key_reads_its_own_part_of_a_larger_region(demo_client, demo_session):
    north = _auth(demo_session, "viewer", NORTH)
    inside = demo_client.get("/api/v1/kpis", params={**PERIOD, "level": "community",
                                                     "region": SUBDISTRICT}, headers=north)
    assert [i["unit_code"] for i in inside.json()["items"]] == [NORTH]
    refused = demo_client.get("/api/v1/kpis", params={**PERIOD, "region": SOUTH}, headers=north)
    assert refused.status_code == 403
    bad = demo_client.get("/api/v1/kpis", params={"trend": "month"}, headers=north)
    assert bad.status_code == 422 and "day, week" in bad.json()["detail"]
    for region in ("%_", "", "3207"):  # a pattern or a part is no region code
        answer = demo_client.get("/api/v1/kpis", params={"region": region}, headers=north)
        assert answer.status_code == 422, region


@pytest.mark.parametrize("level, region", [("community", None), ("grid", SOUTH)])
def test_excel_export_has_chinese_headers_and_the_api_numbers(demo_client, demo_session,
                                                              level, region):
    auth = _auth(demo_session)
    query = {**PERIOD, "level": level, "trend": "day", **({"region": region} if region else {})}
    api = demo_client.get("/api/v1/kpis", params=query, headers=auth).json()
    answer = demo_client.get("/map/cockpit/export.xlsx", params=query, headers=auth)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in answer.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["指标", "类别", "渠道", "趋势", "说明"]
    rows = list(book["指标"].iter_rows(values_only=True))
    assert rows[0][:6] == ("单位代码", "单位名称", "事件数(件)", "结案数(件)", "按期结案数(件)",
                           "按期结案率(%)")
    assert book["指标"]["F2"].number_format == "0.0%"
    keys_ = ("unit_code", "events", "closed", "closed_on_time", "on_time_rate",
             "mean_hours_to_close", "rated", "satisfaction_rate", "mean_satisfaction",
             "overdue", "escalated")
    shown = [dict(zip(keys_, (r[0], *r[2:]), strict=True)) for r in rows[1:]]
    assert shown == [{k: i[k] for k in keys_} for i in api["items"]]
    categories = list(book["类别"].iter_rows(values_only=True))
    assert "环境卫生(件)" in categories[0]
    trend = list(book["趋势"].iter_rows(values_only=True))
    assert trend[0][0] == "起始日期" and len(trend) == len(api["trend"]) + 1
    about = dict(book["说明"].iter_rows(min_row=2, values_only=True))
    assert about["统计期间"] == "2026-09-01 至 2026-10-31"


def test_excel_export_is_refused_outside_the_region(demo_client, demo_session):
    north = _auth(demo_session, "viewer", NORTH)
    answer = demo_client.get("/map/cockpit/export.xlsx", params={"region": SOUTH},
                             headers=north)
    assert answer.status_code == 403


def test_pages_and_assets_leave_gzip_compressed(demo_client, demo_session):
    auth = _auth(demo_session)
    for url in ("/map/cockpit", "/static/vendor/echarts/echarts.min.js", "/api/v1/regions"):
        answer = demo_client.get(url, headers={**auth, "Accept-Encoding": "gzip"})
        assert answer.status_code == 200 and answer.headers["content-encoding"] == "gzip", url
        assert int(answer.num_bytes_downloaded) < len(answer.content), url
    plain = demo_client.get("/map/cockpit", headers={**auth, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and "数字驾驶舱" in plain.text
