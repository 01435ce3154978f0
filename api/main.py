"""The FastAPI app factory; ``app`` is the only object built at import."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from api import deps, errors
from api.bodylimit import BodySizeLimit
from api.cachedtiles import CachedTiles
from api.ratelimits import RateLimits
from api.routes import ROUTERS
from api.schemas.common import errors as error_answers
from gis.access import keycheck
from gis.core import db
from gis.core.settings import Settings, get_settings
from gis.tiles import cache

GZIP_MIN_BYTES = 1024
"""Answers smaller than this leave uncompressed (gzip's header would outweigh the saving)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the engine is made in the lifespan and disposed at shutdown."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # sync handlers and dependencies run on anyio's thread pool (40 threads by default):
        # as many threads as pooled connections, so a thread never waits for a connection
        # and the pool never opens overflow connections it closes again (churn)
        to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
        engine = db.make_engine(settings)
        cache.configure(settings.tile_cache_mb * 1024 * 1024)
        app.state.engine = engine
        app.state.sessionmaker = db.make_sessionmaker(engine)
        app.state.key_checks = keycheck.KeyChecks(
            engine, timeout_ms=settings.statement_timeout_read_ms)
        # everything imported so far (pandas, geopandas, shapely, folium...: about 280,000
        # objects) lives as long as the process: out of the collector's reach, a full
        # collection no longer scans them (140 ms of CPU each, stalling every request in
        # flight on the worker: locate's p99). Once per process: apps made again and again
        # (the tests') would otherwise freeze each time whatever cyclic garbage was waiting
        if gc.get_freeze_count() == 0:
            gc.freeze()
        yield
        app.state.key_checks.close()
        engine.dispose()

    # /docs and /redoc come from api.routes.docs with gridmap's own copies of their assets
    app = FastAPI(title="gridmap", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  dependencies=[Depends(deps.check_page_size),
                                Depends(deps.set_statement_timeout, scope="function")],
                  responses=error_answers(413, 429, 504),
                  description="网格化管理 GIS: grids, assignment, service circles, balancing.")
    app.state.settings = settings
    app.state.rate_limits = RateLimits(settings)
    app.add_middleware(CachedTiles)  # innermost of ours: inside CORS and gzip
    app.add_middleware(BodySizeLimit, max_body_bytes=settings.max_body_bytes,
                       max_upload_bytes=settings.max_upload_bytes,
                       max_photo_bytes=settings.max_photo_bytes)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "HEAD"], allow_headers=["Authorization"],
                           expose_headers=["ETag", "Content-Crs"])
    # outermost: pages, GeoJSON, tiles and static assets leave gzip-compressed when the
    # browser asks (Accept-Encoding); streamed bodies are compressed chunk by chunk, and
    # ETags (plan versions for If-Match, not byte hashes) stay as they are
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=6)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


app = create_app()
