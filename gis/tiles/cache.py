"""Built vector tiles kept in this process, keyed by everything that decides their bytes.

A key is the database, the layer, the parameters of the layer's SQL (tile, theme, and the
caller's visibility: ``details`` and jurisdiction ``scope``; public layers normalise both so
every caller shares one entry), and the versions of the tables the layer reads (set at each
commit by migration 0017's triggers: read from the database by ``tile_key``, tile_versions.
sql, or taken from this process's copy by ``known_key``, gis.tiles.versions). A write to grids,
buildings, events, facilities or service areas changes the versions, so the next request
builds a new tile: a cached tile is never older than the data its key names. Events add the
minute, since their ``overdue`` flag follows the clock.

The version is read before the tile is built, in an earlier snapshot: a tile is never older
than its key's versions (at worst newer, which the next version's key rebuilds). Inside a
transaction that has written a watched table (``dirty``) nothing is read from or put into
the cache. Who may read a layer is checked before (api: ``TileLayerDep``, the key verified
per request), so a revoked key never reaches the cache.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from cachetools import LRUCache
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.core import sql
from gis.tiles import versions as tile_versions

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
ENTRY_OVERHEAD = 200  # bytes a cached tile costs besides its body (key, tuple, dict slot)

Key = tuple[Any, ...]


def _size(body: bytes) -> int:
    return len(body) + ENTRY_OVERHEAD


class _Store:
    """An LRU of tile bodies bounded in bytes, shared by the threads of this process."""

    def __init__(self, max_bytes: int) -> None:
        self.lock = threading.Lock()
        self.tiles: LRUCache[Key, bytes] = LRUCache(max(max_bytes, 1), getsizeof=_size)

    def resize(self, max_bytes: int) -> None:
        with self.lock:
            self.tiles = LRUCache(max(max_bytes, 1), getsizeof=_size)


_STORE = _Store(DEFAULT_MAX_BYTES)


def configure(max_bytes: int) -> None:
    """Keep at most ``max_bytes`` of tiles (0: no cache); drops what is cached."""
    _STORE.resize(max_bytes)


def clear() -> None:
    """Forget every cached tile."""
    with _STORE.lock:
        _STORE.tiles.clear()


def tile_key(session: Session, layer: str, sources: tuple[str, ...], params: dict[str, Any],
             *, clock: bool = False) -> Key | None:
    """The cache key of ``layer``'s tile built with ``params`` (its SQL's parameters), from the
    current versions of ``sources`` (tables); None inside a transaction that wrote one of
    them. ``clock``: the tile depends on the time too (to the minute)."""
    row = session.execute(sql.statement("tile_versions")).one()
    if row.dirty:
        return None
    return _key(row.database, row.versions, layer, sources, params, clock)


def known_key(engine: Engine, layer: str, sources: tuple[str, ...], params: dict[str, Any],
              *, clock: bool = False) -> Key | None:
    """``tile_key`` from the versions this process knows (gis.tiles.versions), no I/O; None
    while they are not known (then ask ``tile_key``)."""
    known = tile_versions.current(engine)
    if known is None:
        return None
    return _key(known[0], known[1], layer, sources, params, clock)


def _key(database: str, versions: Mapping[str, Any], layer: str, sources: tuple[str, ...],
         params: dict[str, Any], clock: bool) -> Key:
    numbers = tuple(int(versions.get(source, 0)) for source in sources)
    minute = int(time.time() // 60) if clock else 0
    return (database, layer, tuple(sorted(params.items())), numbers, minute)


def etag(key: Key) -> str:
    """A strong entity tag naming ``key`` (layer, tile, visibility, versions)."""
    return '"' + hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest() + '"'


def cached(key: Key) -> bytes | None:
    """The bytes cached under ``key``, or None."""
    with _STORE.lock:
        return _STORE.tiles.get(key)


def get_or_build(key: Key | None, build: Callable[[], bytes]) -> bytes:
    """The cached bytes of ``key``, else ``build()`` (kept under ``key`` unless it is None).
    Two requests for one missing tile may both build it; the bytes are the same."""
    if key is None:
        return build()
    with _STORE.lock:
        body = _STORE.tiles.get(key)
    if body is not None:
        return body
    body = build()
    with _STORE.lock:
        if _size(body) <= _STORE.tiles.maxsize:
            _STORE.tiles[key] = body
    return body


def stats() -> dict[str, int]:
    """Tiles and bytes cached now (for tests and benchmarks)."""
    with _STORE.lock:
        return {"tiles": len(_STORE.tiles), "bytes": int(_STORE.tiles.currsize)}
