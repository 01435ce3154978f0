"""Liveness."""

from __future__ import annotations

from api.schemas.common import Open


class Health(Open):
    """The API and its database answer; which PostGIS; the caller's role."""

    status: str
    postgis: str
    caller: str
