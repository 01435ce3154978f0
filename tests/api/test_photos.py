"""Photos of events over HTTP: upload (metadata gone, size and pixel limits, wrong files
refused with a reason), list, the image itself, jurisdiction, Open311 ``media`` and
``media_url``, and photos going with their event."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from api.deps import get_session
from api.main import create_app
from gis.access import keys
from gis.core.settings import Settings
from gis.models import EventPhoto
from tests import dbs
from tests.builders import (
    SUBDISTRICT,
    make_event,
    make_grid,
    make_photo_jpeg,
    make_region,
    square,
)
from tests.conftest import LEAKS

NORTH, SOUTH = "320706013004", "320706013005"
def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def world(session: Session) -> dict[str, str]:
    """Two communities with an event each; keys of a district dispatcher, a north-only
    grid worker and a viewer."""
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    for code, x in ((NORTH, 119.20), (SOUTH, 119.22)):
        make_region(session, code=code, name=f"社区{code[-1]}", parent_code=SUBDISTRICT,
                    geom=square(x, 34.60, 0.02))
    north = make_grid(session, code="G-PN", community_code=NORTH, geom=square(119.20, 34.60, 0.01))
    south = make_grid(session, code="G-PS", community_code=SOUTH, geom=square(119.22, 34.60, 0.01))
    make_event(session, code="E-PHOTO-N", grid=north, community_code=NORTH)
    make_event(session, code="E-PHOTO-S", grid=south, community_code=SOUTH)
    return {"dispatcher": keys.create_key(session, role="dispatcher"),
            "worker_north": keys.create_key(session, role="grid_worker", region_code=NORTH),
            "viewer": keys.create_key(session, role="viewer")}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def upload(client: TestClient, key: str, data: bytes, code: str = "E-PHOTO-N",
           name: str = "photo.jpg", kind: str = "image/jpeg"):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/events/{code}/photos", headers=bearer(key),
                       files={"photo": (name, data, kind)})


def test_upload_strips_exif_and_gps_and_turns_the_photo_upright(client, world):
    answer = upload(client, world["worker_north"], make_photo_jpeg())
    assert answer.status_code == 201, answer.text
    photo = answer.json()
    assert (photo["width"], photo["height"]) == (480, 640)  # orientation 6: turned upright
    image = client.get(photo["url"], headers=bearer(world["viewer"]))
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["etag"] == f'"{photo["sha256"]}"'
    stored = Image.open(io.BytesIO(image.content))
    assert stored.size == (480, 640)
    assert dict(stored.getexif()) == {}
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(stored.info)
    assert b"TestPhone" not in image.content and b"GPS" not in image.content
    assert b"taken at home" not in image.content
    # the blue band, top-left before turning, is top-right once upright
    assert stored.getpixel((470, 10))[2] > 150 and stored.getpixel((10, 10))[0] > 150
    thumb = client.get(photo["thumb_url"], headers=bearer(world["viewer"]))
    small = Image.open(io.BytesIO(thumb.content))
    assert small.size == (240, 320) and dict(small.getexif()) == {}
    assert thumb.headers["etag"] != image.headers["etag"]


def test_list_and_a_repeated_upload_stored_once(client, world):
    data = make_photo_jpeg()
    first = upload(client, world["dispatcher"], data).json()
    again = upload(client, world["dispatcher"], data)
    assert again.status_code == 201 and again.json()["id"] == first["id"]
    upload(client, world["dispatcher"], image_bytes("PNG"), name="a.png", kind="image/png")
    listed = client.get("/api/v1/events/E-PHOTO-N/photos", headers=bearer(world["viewer"]))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [i["content_type"] for i in items] == ["image/jpeg", "image/png"]
    assert items[0]["source"] == "staff" and items[0]["uploaded_at_local"]
    cached = client.get(first["url"], headers={**bearer(world["viewer"]),
                                               "If-None-Match": f'"{first["sha256"]}"'})
    assert cached.status_code == 304


def test_large_photos_are_scaled_down(client, world):
    answer = upload(client, world["dispatcher"], image_bytes("JPEG", (4000, 3000)))
    assert answer.status_code == 201, answer.text
    assert (answer.json()["width"], answer.json()["height"]) == (2048, 1536)


@pytest.mark.parametrize(("data", "name", "kind", "status", "words"), [
    (b"%PDF-1.4 not a photo", "scan.pdf", "application/pdf", 422, "不是可识别的图片"),
    (b"plain text", "photo.jpg", "image/jpeg", 422, "JPEG, PNG or WebP"),
    (make_photo_jpeg()[:3000], "cut.jpg", "image/jpeg", 422, "damaged"),
    (image_bytes("GIF"), "anim.gif", "image/gif", 415, "GIF"),
    (image_bytes("TIFF"), "scan.jpg", "image/jpeg", 415, "TIFF"),
    (b"", "empty.jpg", "image/jpeg", 422, "empty"),
])
def test_files_that_are_no_photo_are_refused_with_a_reason(client, world, data, name, kind,
                                                           status, words):
    answer = upload(client, world["dispatcher"], data, name=name, kind=kind)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["detail"]
    assert client.get("/api/v1/events/E-PHOTO-N/photos",
                      headers=bearer(world["viewer"])).json()["items"] == []


def test_a_decompression_bomb_is_refused_before_it_is_decoded(client, world):
    bomb = image_bytes("PNG", (8_000, 8_000), mode="1")  # ~10 KB for 64 megapixels
    assert len(bomb) < 100_000
    answer = upload(client, world["dispatcher"], bomb, name="bomb.png", kind="image/png")
    assert answer.status_code == 422
    assert "百万像素" in answer.json()["detail"]


@pytest.fixture
def small_client(engine: Engine, session: Session,
                 base_settings: Settings) -> Iterator[TestClient]:
    """The app with a 100 kB photo limit (and the default 5 MB body limit)."""
    settings = dbs.settings_for(engine, base_settings).model_copy(
        update={"max_photo_bytes": 100_000})
    app = create_app(settings)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as test_client:
        test_client.event_hooks["response"].append(LEAKS.on_response)
        yield test_client


def test_an_oversized_photo_is_413_with_the_limit(small_client, world):
    noise = Image.effect_noise((600, 600), 100).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "PNG")
    answer = upload(small_client, world["dispatcher"], out.getvalue(), name="big.png",
                    kind="image/png")
    assert answer.status_code == 413
    assert "0.1 MB" in answer.json()["detail"] and "照片太大" in answer.json()["detail"]


def test_a_photo_larger_than_the_body_limit_is_taken(client, world):
    """Photo routes take GRIDMAP_MAX_PHOTO_BYTES (10 MB) although bodies stop at 5 MB."""
    noise = Image.effect_noise((1800, 1500), 120).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert 5 * 1024 * 1024 < len(out.getvalue()) < 10 * 1024 * 1024
    answer = upload(client, world["dispatcher"], out.getvalue(), name="n.png", kind="image/png")
    assert answer.status_code == 201, answer.text


def test_photos_follow_the_event_access(client, world):
    north = upload(client, world["dispatcher"], make_photo_jpeg()).json()
    assert upload(client, world["viewer"], make_photo_jpeg()).status_code == 403
    assert upload(client, world["worker_north"], make_photo_jpeg(),
                  code="E-PHOTO-S").status_code == 403
    assert client.get(north["url"]).status_code == 401
    assert client.get("/api/v1/events/E-PHOTO-N/photos/999999",
                      headers=bearer(world["viewer"])).status_code == 404
    assert client.get(north["url"].replace("E-PHOTO-N", "E-PHOTO-S"),
                      headers=bearer(world["viewer"])).status_code == 404
    assert client.get(north["url"], headers=bearer(world["worker_north"])).status_code == 200


def test_photos_go_with_their_event(client, session, world):
    upload(client, world["dispatcher"], make_photo_jpeg())
    upload(client, world["dispatcher"], make_photo_jpeg(), code="E-PHOTO-S")
    session.execute(text("DELETE FROM event WHERE code = 'E-PHOTO-N'"))
    left = session.scalar(select(func.count()).select_from(EventPhoto))
    assert left == 1
    # a corrected report time moves the event to another month's partition (once event is
    # partitioned: a delete and an insert to row-level triggers); its photo stays
    session.execute(text("UPDATE event SET reported_at = reported_at - interval '95 days' "
                         "WHERE code = 'E-PHOTO-S'"))
    assert session.scalar(select(func.count()).select_from(EventPhoto)) == 1
    session.execute(text("TRUNCATE event CASCADE"))
    assert session.scalar(select(func.count()).select_from(EventPhoto)) == 0


def _open311(client: TestClient, key: str, media: bytes | None, **extra: str):  # type: ignore[no-untyped-def]
    fields = {"api_key": key, "service_code": "noise", "lat": "34.605", "long": "119.205",
              "description": "夜间施工噪音", **extra}
    files = {"media": ("noise.jpg", media, "image/jpeg")} if media is not None else None
    return client.post("/open311/v2/requests.json", data=fields, files=files)


def test_open311_media_is_served_at_its_media_url_to_whoever_reads_the_request(client, session,
                                                                               world):
    receipt = _open311(client, world["dispatcher"], make_photo_jpeg())
    assert receipt.status_code == 201, receipt.text
    code = receipt.json()[0]["service_request_id"]
    request = client.get(f"/open311/v2/requests/{code}.json").json()[0]  # no key: public
    assert request["media_url"] == f"http://testserver/open311/v2/requests/{code}/media"
    photo = client.get(request["media_url"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert dict(Image.open(io.BytesIO(photo.content)).getexif()) == {}
    listed = client.get("/open311/v2/requests.json", params={"service_request_id": code},
                        headers=bearer(world["viewer"])).json()
    assert listed[0]["media_url"] == request["media_url"]
    south_key = keys.create_key(session, role="viewer", region_code=SOUTH)
    assert client.get(request["media_url"], params={"api_key": south_key}).status_code == 404
    staff = client.get(f"/api/v1/events/{code}/photos", headers=bearer(world["viewer"]))
    assert staff.json()["items"][0]["source"] == "open311"


def test_open311_without_media_and_staff_photos_stay_off_media_url(client, world):
    code = _open311(client, world["dispatcher"], None).json()[0]["service_request_id"]
    upload(client, world["dispatcher"], make_photo_jpeg(), code=code)
    assert client.get(f"/open311/v2/requests/{code}.json").json()[0]["media_url"] is None
    assert client.get(f"/open311/v2/requests/{code}/media").status_code == 404


def test_open311_bad_media_is_refused_and_nothing_is_taken(client, session, world):
    before = session.scalar(text("SELECT count(*) FROM event"))
    bad = _open311(client, world["dispatcher"], b"not an image at all")
    assert bad.status_code == 400 and "JPEG, PNG or WebP" in bad.json()[0]["description"]
    gif = _open311(client, world["dispatcher"], image_bytes("GIF"))
    assert gif.status_code == 415
    text_media = client.post("/open311/v2/requests.json", data={
        "api_key": world["dispatcher"], "service_code": "noise", "lat": "34.605",
        "long": "119.205", "media": "http://example.com/a.jpg"})
    assert text_media.status_code == 400 and "multipart" in text_media.json()[0]["description"]
    assert session.scalar(text("SELECT count(*) FROM event")) == before
