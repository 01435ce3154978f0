"""Settings read from the environment (prefix ``GRIDMAP_``), cached once per process."""

from functools import lru_cache
from pathlib import Path
from typing import Self
from urllib.parse import parse_qsl, urldefrag, urlencode

from limits import parse_many
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything gridmap reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_", extra="ignore")

    database_url: str | None = None
    """SQLAlchemy URL; unset means the embedded cluster under ``home``."""
    home: Path = Path(".gridmap")
    """Folder of the embedded cluster (data, socket, log), relative to the working directory."""
    pg_bin: Path | None = None
    """Folder holding initdb/pg_ctl; found from Debian's layout when unset."""
    db_name: str = "gridmap"
    db_pool_size: int = 16
    """Database connections each server process keeps open once opened, and the threads it
    runs request handlers on (``GRIDMAP_DB_POOL_SIZE``). A request holds its connection from
    its first query to its end, also while it waits for a thread between its steps, so up to
    this many requests in flight on one process never open and close connections (no pool
    churn). Each ``gridmap serve`` process has its own pool and may open 4 more for a moment
    (gis.core.db.DB_POOL_OVERFLOW): keep workers × (size + 4) under the database's
    max_connections (60 in the embedded cluster)."""
    max_upload_bytes: int = 50 * 1024 * 1024
    max_page_size: int = 5000
    max_body_bytes: int = 5 * 1024 * 1024
    """Largest request body of any route but imports (which take ``max_upload_bytes``)."""
    max_photo_bytes: int = 10 * 1024 * 1024
    """Largest photo one upload may carry (event photos, Open311 ``media``): 413 above it."""
    max_photo_pixels: int = 50_000_000
    """Most pixels (width × height, as the file declares them) of an uploaded photo: more is
    refused (422) before it is decoded, so a small file that unpacks to gigabytes (a
    decompression bomb) costs nothing."""
    photo_max_side: int = 2048
    """Stored photos are scaled down to at most this many pixels on their longer side."""
    max_archive_bytes: int = 256 * 1024 * 1024
    """Largest uncompressed total of an imported archive (zipped Shapefile), read from its
    directory before anything is extracted."""
    max_archive_ratio: float = 100.0
    """Largest uncompressed/compressed ratio of an imported archive (a zip bomb's is 1000s)."""
    max_archive_members: int = 100
    max_import_features: int = 500_000
    """Most rows one import over HTTP may hold (``gridmap import`` on the server: no limit)."""
    max_vertices: int = 20_000
    """Most vertices of one geometry, on import and in every API body that takes geometry."""
    statement_timeout_read_ms: int = 10_000
    """``statement_timeout`` of GET/HEAD requests (lists, tiles, pages)."""
    statement_timeout_write_ms: int = 30_000
    """``statement_timeout`` of other requests (event intake, key checks of writes…)."""
    statement_timeout_long_ms: int = 300_000
    """``statement_timeout`` of imports and plan drafts, edits and applies."""
    rate_limit_writes: str = "1200/minute"
    """Writes (POST/PUT/PATCH/DELETE) per API key, in the ``limits`` notation."""
    rate_limit_logins: str = "60/minute"
    """Map-page login attempts per client address."""
    rate_limit_wrong_keys: str = "30/minute"
    """Wrong, revoked or expired keys per client address; past it, requests with a key are
    429 without any key check until the window moves on."""
    walk_speed_m_per_min: float = 50.0
    basemap: str | None = None
    """A basemap preset: ``tianditu`` (天地图, needs ``tianditu_key``), ``amap`` (高德, GCJ-02),
    ``osm``, or ``none``; unset means ``basemap_url`` if given, else none (offline)."""
    basemap_url: str | None = None
    """An XYZ tile URL (e.g. an intranet server). After validation it holds the *basemap spec*
    that layers.basemaps reads and page builders pass on: a preset name (``amap``, ``osm``,
    ``tianditu#key=K``) or the URL with ``#subdomains=…&crs=…`` when those are set."""
    basemap_subdomains: str | None = None
    """Values of ``{s}`` in ``basemap_url``, one character each (e.g. ``1234``); Leaflet's
    default is ``abc``."""
    basemap_crs: str | None = None
    """``gcj02`` when ``basemap_url``'s tiles are drawn in GCJ-02 (an AMap mirror); default
    WGS84/CGCS2000."""
    tianditu_key: str | None = None
    """天地图 browser key (``tk``); it is visible in the page's tile URLs, as Tianditu intends."""
    cors_origins: list[str] = []
    """Other sites whose pages may read gridmap's tiles, TileJSON and OGC API (a MapLibre map
    on another intranet host): ``GRIDMAP_CORS_ORIGINS='["http://gis.intra"]'``; none by
    default. Reads only (GET/HEAD); writes never come cross-site."""
    tile_cache_mb: int = Field(default=64, ge=0)
    """Megabytes of built vector tiles each server process keeps (gis.tiles.cache; keyed by
    the version of the data under each tile, so never stale); 0 turns the cache off."""
    map_embed_max: int = 500
    """Most buildings ``/map`` embeds as GeoJSON; more come as vector tiles
    (``/tiles/buildings/...``). Embedded, the demo's 2,529 footprints were about 3 MB of page
    and 2.5 s of server time (bench/pages): tiles keep a district's page under 1 s."""
    map_grid_embed_max: int = 500
    """Most grids ``/map`` sends as GeoJSON; when the district holds more, its grids are drawn
    from the vector tiles (``/tiles/grids/...``) and the grid labels come only for views of at
    most this many grids (23,713 grids of a city took seconds as GeoJSON)."""
    secret_key: str | None = None
    """Signs map-page login cookies; unset: made once into ``<home>/secret``."""
    session_hours: float = 12.0
    """How long a map-page login lasts."""
    event_time_limits: dict[str, float] = {}
    """Per-category time limits (hours) over gis.events.categories' defaults; the environment
    gives them as JSON: ``GRIDMAP_EVENT_TIME_LIMITS='{"noise": 12}'``."""
    load_residential_min: int = 300
    """Household range of residential grids (``GRIDMAP_LOAD_RESIDENTIAL_MIN``…; see
    gis.grids.household_rules, which builds its ``LoadRules`` from these five fields)."""
    load_residential_max: int = 500
    load_rural_min: int = 200
    load_rural_max: int = 500
    load_exempt_kinds: tuple[str, ...] = ("commercial", "industrial", "special")

    @field_validator("rate_limit_writes", "rate_limit_logins", "rate_limit_wrong_keys")
    @classmethod
    def _rate(cls, value: str) -> str:
        """A spelling ``limits`` understands, such as ``20/minute`` or ``5/second;100/hour``."""
        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit: {value!r} (write e.g. '20/minute')") from exc
        return value

    @model_validator(mode="after")
    def _basemap_spec(self) -> Self:
        """Fold the basemap settings into one spec in ``basemap_url`` (see there)."""
        self.basemap_url = basemap_spec(self.basemap, self.basemap_url,
                                        subdomains=self.basemap_subdomains,
                                        crs=self.basemap_crs, tianditu_key=self.tianditu_key)
        return self

    def home_dir(self) -> Path:
        """Absolute path of the embedded home (the socket path must be absolute)."""
        return self.home.expanduser().resolve()


BASEMAP_PRESETS = ("tianditu", "amap", "osm")
BASEMAP_CRSES = ("wgs84", "gcj02")


def basemap_spec(name: str | None, url: str | None, *, subdomains: str | None = None,
                 crs: str | None = None, tianditu_key: str | None = None) -> str | None:
    """The basemap spec of these settings (None: no basemap); ValueError naming the fix."""
    name = (name or "").strip().lower()
    if name == "none" or (not name and not url):
        return None
    if name == "tianditu":
        if not tianditu_key:
            raise ValueError("GRIDMAP_BASEMAP=tianditu needs GRIDMAP_TIANDITU_KEY (天地图 key)")
        return "tianditu#" + urlencode({"key": tianditu_key})
    if name in BASEMAP_PRESETS:
        return name
    if name:
        raise ValueError(f"unknown basemap {name!r}: use one of "
                         f"{', '.join(BASEMAP_PRESETS)}, none, or set GRIDMAP_BASEMAP_URL")
    base, fragment = urldefrag(url or "")
    if base in BASEMAP_PRESETS or base == "tianditu":
        return url  # already a spec (settings validated twice)
    options = dict(parse_qsl(fragment))
    if subdomains:
        options.setdefault("subdomains", subdomains)
    if crs:
        options.setdefault("crs", crs.lower())
    if options.get("crs", "wgs84") not in BASEMAP_CRSES:
        raise ValueError(f"GRIDMAP_BASEMAP_CRS must be one of {', '.join(BASEMAP_CRSES)}")
    return base + ("#" + urlencode(options) if options else "")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, for the outermost edges only (the app factory, the command
    line); everything below takes the values it needs as arguments. Tests build their own."""
    return Settings()
