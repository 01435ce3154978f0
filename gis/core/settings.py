"""Settings read from the environment (prefix ``GRIDMAP_``), cached once per process."""

from functools import lru_cache
from pathlib import Path

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
    walk_speed_m_per_min: float = 50.0
    basemap_url: str | None = None  # XYZ tiles for /map, e.g. an intranet server; none = offline
    map_embed_max: int = 3000
    """Most buildings ``/map`` embeds as GeoJSON; a bigger district's buildings come as vector
    tiles (``/tiles/buildings/...``): the demo's 2,529 footprints are about 3 MB of page."""
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

    def home_dir(self) -> Path:
        """Absolute path of the embedded home (the socket path must be absolute)."""
        return self.home.expanduser().resolve()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, for the outermost edges only (the app factory, the command
    line); everything below takes the values it needs as arguments. Tests build their own."""
    return Settings()
