"""One event's Feature (``queries.event_feature``, every intake's answer) is built from the
plain row: it must be exactly what the GeoDataFrame path (``get_event`` and
``feature_collection_from_frame``) gives, masked and revealed, located and not."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.frames import feature_collection_from_frame
from gis.events import intake, queries

SUBDISTRICT = "320706013000"
PERSONAL = "身份证320102199001011234，电话138-1234-5678，卡6222 0212 3456 7890"


def _by_frame(session: Session, code: str, *, reveal: bool) -> dict:
    frame = queries.get_event(session, code, reveal=reveal, scope=SUBDISTRICT, actor="t")
    return feature_collection_from_frame(frame, id_column="code")["features"][0]


def _by_row(session: Session, code: str, *, reveal: bool) -> dict:
    feature = queries.event_feature(session, code, reveal=reveal, scope=SUBDISTRICT, actor="t")
    return {k: v for k, v in feature.items()
            if k not in ("timeline", "duplicates", "marked_duplicates")}


def test_the_row_feature_is_the_frame_feature(demo_session: Session) -> None:
    items = [intake.EventIn.model_validate(body) for body in (
        {"category": "noise", "channel": "12345", "description": PERSONAL,
         "address": "海州区朐阳街道 电话13912345678",
         "reporter": {"name": "张三丰", "phone": "13812345678"},
         "location": {"lon": 119.1986, "lat": 34.5945, "crs": "EPSG:4490"}},
        {"category": "noise", "channel": "12345", "description": "无位置", "priority": 1,
         "address": "无此地址 zzz 99999号"},
        {"category": "sanitation", "channel": "12345", "description": "gcj02 点",
         "location": {"lon": 119.2046, "lat": 34.5935, "crs": "gcj02"}})]
    codes = [c.code for c in intake.create_events(demo_session, items, actor="t",
                                                  scope=SUBDISTRICT)]
    older = demo_session.scalars(text(
        "SELECT code FROM event ORDER BY id LIMIT 40")).all()  # the demo's: every state
    for code in [*codes, *older]:
        for reveal in (False, True):
            by_row = _by_row(demo_session, code, reveal=reveal)
            assert by_row == _by_frame(demo_session, code, reveal=reveal), (code, reveal)
            # the same members in the same order: the same JSON
            assert json.dumps(by_row) == json.dumps(_by_frame(demo_session, code,
                                                              reveal=reveal))
    masked = _by_row(demo_session, codes[0], reveal=False)["properties"]
    assert "138****5678" in masked["description"] and masked["reporter_name"] == "张**"
