"""How the server runs: worker processes, and a database pool that does not churn."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.cli.core import default_workers
from api.main import create_app
from gis.core.settings import Settings
from tests import dbs

POOL = 6
APP_NAME = "gridmap-test-pool"


def _burst(client: TestClient, concurrency: int, requests: int) -> list[int]:
    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(lambda _: client.get("/api/v1/health").status_code,
                             range(requests)))


def test_pool_keeps_its_connections_through_bursts(engine: Engine,
                                                   base_settings: Settings) -> None:
    """As many requests in flight as the pool's size: after the first burst has opened the
    connections, a second burst opens none (no churn), and the server never holds more than
    its pool size."""
    url = make_url(str(dbs.settings_for(engine, base_settings).database_url))
    url = url.update_query_dict({"application_name": APP_NAME})
    settings = base_settings.model_copy(update={
        "database_url": url.render_as_string(hide_password=False), "db_pool_size": POOL})
    app = create_app(settings)
    opened: list[object] = []
    closed: list[object] = []
    with TestClient(app) as client:
        event.listen(app.state.engine, "connect", lambda conn, record: opened.append(conn))
        event.listen(app.state.engine, "close", lambda conn, record: closed.append(conn))
        assert _burst(client, POOL, 60) == [200] * 60
        assert _burst(client, POOL, 120) == [200] * 120
        with engine.connect() as conn:
            held = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": APP_NAME}).scalar_one()
        closed_in_bursts = list(closed)  # the app's shutdown closes them all afterwards
    # a burst may not need every pooled connection at once, so the second one may open the
    # last few; churn is a session closed and opened again, or more sessions than the pool
    assert 1 <= len(opened) <= POOL, "more database sessions opened than the pool holds"
    assert closed_in_bursts == [], "the pool closed sessions it had opened (churn)"
    assert len(opened) <= held <= POOL


def test_serve_defaults_to_one_worker_per_core() -> None:
    assert default_workers() >= 1
    out = CliRunner().invoke(cli_app, ["serve", "--help"]).output
    assert "--workers" in out
