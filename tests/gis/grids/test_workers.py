"""Worker reads: one row per worker and current grid, primary first."""

from sqlalchemy.orm import Session

from gis.grids import workers
from tests.builders import make_grid, make_worker


def test_workers_per_grid(session: Session) -> None:
    one, two = make_grid(session, code="G1"), make_grid(session, code="G2")
    make_worker(session, code="W2", name="兼职甲", role="part_time", grids=[one],
                is_primary=False)
    make_worker(session, code="W1", name="专职乙", grids=[one, two])
    make_worker(session, code="W3", name="未上岗")  # serves no grid: not listed
    frame = workers.list_workers(session)
    assert list(zip(frame.grid_code, frame.code, strict=True)) == \
        [("G1", "W1"), ("G1", "W2"), ("G2", "W1")]
    only = workers.list_workers(session, grid_code="G2")
    assert list(only.name) == ["专职乙"] and bool(only.is_primary[0])
    assert "geom" not in frame.columns
