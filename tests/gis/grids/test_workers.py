"""Worker reads: one row per worker and current grid, primary first."""

from sqlalchemy import text
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


def _primary(session: Session, grid_id: int) -> str | None:
    return session.execute(text("SELECT code FROM gm_primary_worker(:g)"),
                           {"g": grid_id}).scalar()


def test_primary_worker_rule(session: Session) -> None:
    """gm_primary_worker: the primary worker, full-time before part-time, then lowest id."""
    grid = make_grid(session, code="G1")
    make_worker(session, code="W1", name="兼职", role="part_time", grids=[grid],
                is_primary=False)
    assert _primary(session, grid.id) == "W1"          # the only one
    make_worker(session, code="W2", name="专职副", grids=[grid], is_primary=False)
    assert _primary(session, grid.id) == "W2"          # full-time beats part-time
    make_worker(session, code="W3", name="兼职主", role="part_time", grids=[grid])
    assert _primary(session, grid.id) == "W3"          # primary beats full-time
    assert _primary(session, make_grid(session, code="G2").id) is None


def test_assignment_names_the_same_worker(demo_session: Session) -> None:
    """The bulk assignment's own DISTINCT ON pick (assign_events_pick.sql) and
    gm_primary_worker name the same worker for every assigned demo event."""
    differ, assigned = demo_session.execute(text("""
        SELECT count(*) FILTER (WHERE e.worker_id IS DISTINCT FROM
                                      (SELECT id FROM gm_primary_worker(e.grid_id))),
               count(*)
        FROM event e WHERE e.grid_id IS NOT NULL""")).one()
    assert assigned > 1000 and differ == 0
