"""The floor of bench/load: a bare FastAPI app answering ``SELECT 1`` through the same engine
settings (gis.core.db.make_engine: pool size, overflow, pre-ping) and the same session per
request, served exactly as ``gridmap serve`` serves gridmap (api.cli.core.run_server). No
routing of ours, no auth, no JSON of any size: what one pooled round trip to PostgreSQL over
HTTP costs on this machine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from sqlalchemy import text

from gis.core import db
from gis.core.settings import get_settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    engine = db.make_engine(settings)
    app.state.sessionmaker = db.make_sessionmaker(engine)
    yield
    engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/api/v1/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/select1")
def select1(request: Request) -> dict:
    with request.app.state.sessionmaker() as session:
        value = session.execute(text("SELECT 1")).scalar_one()
        session.commit()
    return {"value": value}
