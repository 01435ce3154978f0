"""Nothing acknowledged is lost: a server killed (SIGKILL) the moment its 201 arrives still
has every acknowledged event, and every acknowledged photo, in the database (the commit runs
before the answer is sent; a photo's bytes are in its row)."""

from __future__ import annotations

import io
import json
import secrets
import socket
from collections.abc import Iterator

import pytest
from PIL import Image
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.access import keys
from gis.core.settings import Settings
from tests import dbs
from tests.builders import make_event, make_grid, make_region, square
from tests.forkserver import Forks

ROUNDS = 20
PHOTO_ROUNDS = 8
PHOTO_EVENT = "E-DURABLE-PHOTO"


@pytest.fixture(scope="module")
def committed(base_settings: Settings) -> Iterator[tuple[Engine, dict[str, str], str]]:
    """A throw-away database holding a community and a grid (committed, for other processes);
    the environment that points a server at it, and a dispatcher's key."""
    engine = dbs.migrated_database(base_settings, "durable")
    secret = secrets.token_hex(16)
    with Session(engine) as session:
        community = make_region(session, geom=square(119.20, 34.60, 0.05)).code
        grid = make_grid(session, community_code=community, geom=square(119.20, 34.60, 0.01))
        make_event(session, code=PHOTO_EVENT, grid=grid, community_code=community)
        key = keys.create_key(session, role="dispatcher", secret=secret.encode())
        session.commit()
    env = {"GRIDMAP_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "GRIDMAP_SECRET_KEY": secret}
    yield engine, env, key
    dbs.drop_database(base_settings, engine)


def _post(port: int, key: str, external_id: str) -> socket.socket:
    body = json.dumps({"category": "sanitation", "description": "垃圾堆放", "channel": "12345",
                       "external_id": external_id,
                       "location": {"lon": 119.205, "lat": 34.605}}).encode()
    head = (f"POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(head + body)
    return sock


def _status_line(sock: socket.socket) -> bytes:
    line = b""
    while b"\r\n" not in line:
        chunk = sock.recv(4096)
        assert chunk, "the server closed the connection without answering"
        line += chunk
    return line.split(b"\r\n", 1)[0]


def test_every_acknowledged_event_survives_a_kill_on_the_answer(forks: Forks, committed):
    engine, env, key = committed
    run = secrets.token_hex(4)
    acknowledged = []
    for n in range(ROUNDS):
        pid, port = forks.serve(env)
        external_id = f"durable-{run}-{n}"
        with _post(port, key, external_id) as sock:
            status = _status_line(sock)
            if status.startswith(b"HTTP/1.1 201"):
                forks.kill(pid)  # nothing else read: the answer is all the client has seen
                acknowledged.append(external_id)
            else:
                forks.kill(pid)
                pytest.fail(f"round {n}: {status!r}")
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT external_id FROM event WHERE external_id = "
                                       "ANY(:ids)"), {"ids": acknowledged}).scalars())
    lost = [e for e in acknowledged if e not in stored]
    assert len(acknowledged) == ROUNDS and lost == [], f"{len(lost)} of {ROUNDS} lost: {lost}"



def _post_photo(port: int, key: str, n: int) -> socket.socket:
    picture = io.BytesIO()
    Image.new("RGB", (64 + n, 48), (10 * n, 90, 160)).save(picture, "PNG")
    boundary = secrets.token_hex(8)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; "
            f"filename=\"p{n}.png\"\r\nContent-Type: image/png\r\n\r\n").encode() + \
        picture.getvalue() + f"\r\n--{boundary}--\r\n".encode()
    head = (f"POST /api/v1/events/{PHOTO_EVENT}/photos HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(head + body)
    return sock


def test_every_acknowledged_photo_survives_a_kill_on_the_answer(forks: Forks, committed):
    engine, env, key = committed
    acknowledged = 0
    for n in range(PHOTO_ROUNDS):
        pid, port = forks.serve(env)
        with _post_photo(port, key, n) as sock:
            status = _status_line(sock)
            forks.kill(pid)  # nothing else read: the answer is all the client has seen
            assert status.startswith(b"HTTP/1.1 201"), f"round {n}: {status!r}"
            acknowledged += 1
    with engine.connect() as conn:
        stored = conn.execute(text(
            "SELECT count(*) FROM event_photo p JOIN event e ON e.id = p.event_id "
            "WHERE e.code = :c"), {"c": PHOTO_EVENT}).scalar_one()
    assert acknowledged == PHOTO_ROUNDS and stored == acknowledged
