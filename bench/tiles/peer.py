"""tipg (developmentseed's OGC Features and Tiles server over PostGIS) as the tile peer of
bench/tiles: its command, the URL of the tile it serves in place of ours, its readiness.

tipg 1.6 runs in gridmap's virtualenv (it installs next to our FastAPI and pydantic without
changing them: ``pip install -e '.[bench]'``); ``BENCH_TIPG_PYTHON`` names another
interpreter (a separate venv) if a later tipg needs newer libraries than ours.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine

from bench import serving

OPEN = ("needs_location", "reported", "accepted", "dispatched", "in_progress", "returned",
        "reopened")  # gm_event_open (migration 0007)
# the rows and attributes our tiles draw, as tipg parameters on the same tables
COLLECTIONS = {
    "buildings": ("public.building", "code,address,compound,floors,households,residents,use,"
                                     "community_code,grid_id", None),
    "grids": ("public.grid", "code,name,theme,kind,community_code",
              "valid_to IS NULL AND theme = 'unified'"),
    "events": ("public.event", "code,category,status,channel,priority,community_code",
               "status IN (" + ", ".join(f"'{s}'" for s in OPEN) + ")"),
}


def version() -> str:
    """The tipg version the peer server runs."""
    python = os.environ.get("BENCH_TIPG_PYTHON", sys.executable)
    return subprocess.run([python, "-c", "import tipg; print(tipg.__version__)"],
                          capture_output=True, text=True, check=True).stdout.strip()


def command() -> list[str]:
    python = os.environ.get("BENCH_TIPG_PYTHON", sys.executable)
    return [python, "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1", "--port",
            "{port}", "--workers", "1", "--no-access-log"]


def env(engine: Engine) -> dict[str, str]:
    """tipg's settings: our database, the three tables only. A Unix-socket directory goes
    percent-encoded in the host part (tipg's URL check refuses an empty host; asyncpg
    decodes it)."""
    url = engine.url
    socket_dir = url.query.get("host")
    host = quote(str(socket_dir), safe="") if socket_dir else (url.host or "localhost")
    dsn = f"postgresql://{url.username}@{host}:{url.port or 5432}/{url.database}"
    return {"DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": '["public"]',
            "TIPG_DB_TABLES": '["public.building", "public.grid", "public.event"]',
            "TIPG_DEBUG": "FALSE"}


def tile_url(base: str, layer: str) -> Callable[[int, int, int], str]:
    collection, properties, where = COLLECTIONS[layer]
    query = f"properties={properties}" + (f"&filter={quote(where)}&filter-lang=cql2-text"
                                          if where else "")
    return lambda z, x, y: (f"{base}/collections/{collection}/tiles/WebMercatorQuad/"
                            f"{z}/{x}/{y}?{query}")


@contextmanager
def serve(engine: Engine, log: Path, port: int) -> Iterator[str]:
    """tipg as a subprocess on ``port`` over ``engine``'s database; its base URL."""
    with log.open("ab") as out:
        proc = subprocess.Popen([c.replace("{port}", str(port)) for c in command()],
                                env={**os.environ, **env(engine)}, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        serving.wait_until_up(base, proc, path="/healthz")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=60)

