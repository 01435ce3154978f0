"""Open311 GeoReport v2 through two clients from PyPI that nobody here wrote (georeport,
civicbot) against a live gridmap over the demo district: services, a posted request, and the
request read back without a key, with exactly the fields GeoReport v2 lists."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.core.settings import Settings
from tests.builders import make_photo_jpeg
from tests.e2e.live import serve_demo_with_key

georeport = pytest.importorskip("georeport")
civicbot = pytest.importorskip("civicbot")

REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url"}
"""The fields of a service request in GeoReport v2 (wiki.open311.org/GeoReport_v2)."""
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"}


@pytest.fixture(scope="module")
def live(demo_engine: Engine, base_settings: Settings) -> Iterator[tuple[str, str]]:
    """(GeoReport v2 root URL, a dispatcher key) of a live gridmap on the demo district."""
    with serve_demo_with_key(demo_engine, base_settings, role="dispatcher",
                             label="open311 clients") as (url, key):
        yield f"{url}/open311/v2", key


def _civicbot(root: str):  # type: ignore[no-untyped-def]
    from civicbot.http import HttpTransport, RateLimiter
    from civicbot.open311 import Open311Client
    from civicbot.registry import Endpoint

    endpoint = Endpoint(id="gridmap", name="gridmap", base_url=root, write=True)
    return Open311Client(endpoint, HttpTransport(rate_limiter=RateLimiter(min_interval=0)))


def test_civicbot_posts_and_follows_a_request(live: tuple[str, str], demo_engine: Engine,
                                              demo_session: Session) -> None:
    from civicbot.open311 import CONFIRM_TOKEN

    root, key = live
    spot = demo_session.execute(text(
        "SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p "
        "FROM grid WHERE theme = 'unified' AND valid_to IS NULL ORDER BY code LIMIT 1) g")).one()
    client = _civicbot(root)
    services = client.list_services()
    assert {s["service_code"] for s in services} and set(services[0]) <= SERVICE_FIELDS
    sent = client.create_request(services[0]["service_code"], dry_run=False,
                                 confirm=CONFIRM_TOKEN, api_key=key, lat=spot.lat, lng=spot.lon,
                                 description="路灯不亮 open311 client test",
                                 validate_remote=True)
    (receipt,) = sent.response
    code = receipt["service_request_id"]
    followed = client.get_request(code)  # no key: a reporter follows the case
    assert followed is not None and set(followed) == REQUEST_FIELDS
    assert followed["service_request_id"] == code and followed["status"] == "open"
    with Session(demo_engine) as session:
        stored = session.execute(text("SELECT category, description FROM event WHERE code = :c"),
                                 {"c": code}).one()
        session.execute(text("DELETE FROM event WHERE code = :c"), {"c": code})
        session.commit()
    assert stored.category == services[0]["service_code"]
    assert stored.description == "路灯不亮 open311 client test"


def test_georeport_reads_services_and_one_request(live: tuple[str, str],
                                                  demo_session: Session) -> None:
    root, _ = live
    client = georeport.GeoReport(root)
    services = client.get_service_list()
    assert services and all(set(s) <= SERVICE_FIELDS for s in services)
    code = demo_session.scalar(text("SELECT min(code) FROM event WHERE community_code IS NOT "
                                    "NULL AND description IS NOT NULL"))
    request = client.get_service_request(code)
    assert set(request) == REQUEST_FIELDS and request["service_request_id"] == code
    assert request["lat"] and request["long"]


def test_georeport_reads_the_media_url_of_a_request_sent_with_a_photo(
        live: tuple[str, str], demo_engine: Engine, demo_session: Session) -> None:
    """A request posted with ``media`` (multipart, as GeoReport's extension; neither client
    uploads files) is read back by georeport with a ``media_url`` that serves the photo
    without a key, its EXIF (GPS) gone; deleting the event deletes the photo."""
    root, key = live
    spot = demo_session.execute(text(
        "SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p "
        "FROM grid WHERE theme = 'unified' AND valid_to IS NULL ORDER BY code LIMIT 1) g")).one()
    posted = httpx.post(f"{root}/requests.json", timeout=30, data={
        "api_key": key, "service_code": "noise", "lat": spot.lat, "long": spot.lon,
        "description": "open311 media client test"},
        files={"media": ("scene.jpg", make_photo_jpeg(), "image/jpeg")})
    assert posted.status_code == 201, posted.text
    code = posted.json()[0]["service_request_id"]
    request = georeport.GeoReport(root).get_service_request(code)
    assert set(request) == REQUEST_FIELDS
    assert request["media_url"] == f"{root}/requests/{code}/media"
    photo = httpx.get(request["media_url"], timeout=30)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert dict(Image.open(io.BytesIO(photo.content)).getexif()) == {}
    with Session(demo_engine) as session:
        session.execute(text("DELETE FROM event WHERE code = :c"), {"c": code})
        session.commit()
        left = session.scalar(text("SELECT count(*) FROM event_photo p WHERE NOT EXISTS ("
                                   "SELECT 1 FROM event e WHERE e.id = p.event_id)"))
    assert left == 0
