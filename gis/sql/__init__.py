"""SQL that reads better as SQL (tiles, isochrones, bulk assignment), one statement a file."""

from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    """The text of ``gis/sql/<name>.sql`` (run it with ``text()`` and bound parameters)."""
    return resources.files(__package__).joinpath(f"{name}.sql").read_text(encoding="utf-8")
