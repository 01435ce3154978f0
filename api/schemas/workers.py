"""Grid workers' public contact (上岗公示)."""

from __future__ import annotations

from api.schemas.common import Open, Page


class WorkerItem(Open):
    """A worker and one current grid served, with the published phones and duties."""

    id: int
    code: str
    name: str
    role: str | None = None
    phone: str | None = None
    duties: str | None = None
    supervision_phone: str | None = None
    grid_code: str
    grid_name: str | None = None
    grid_theme: str | None = None
    community_code: str | None = None
    is_primary: bool | None = None


WorkerPage = Page[WorkerItem]
