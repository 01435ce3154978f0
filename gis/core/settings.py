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

    def home_dir(self) -> Path:
        """Absolute path of the embedded home (the socket path must be absolute)."""
        return self.home.expanduser().resolve()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
