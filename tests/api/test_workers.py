"""GET /api/v1/grid-workers: public contact of grid workers."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_grid, make_worker


def test_workers_public_contact(client: TestClient, session: Session) -> None:
    one, two = make_grid(session, code="G1"), make_grid(session, code="G2")
    make_worker(session, code="W1", name="专职乙", phone="13911112222", grids=[one, two])
    make_worker(session, code="W2", name="兼职甲", role="part_time", grids=[one],
                is_primary=False)
    body = client.get("/api/v1/grid-workers").json()
    assert body["numberMatched"] == 3
    assert [(w["grid_code"], w["code"]) for w in body["items"]] == \
        [("G1", "W1"), ("G1", "W2"), ("G2", "W1")]
    only = client.get("/api/v1/grid-workers", params={"grid": "G2"}).json()["items"]
    assert only[0]["phone"] == "13911112222"  # published work phone: not masked
    assert only[0]["supervision_phone"] == "0518-12345"
