"""A bounded, repeatable schemathesis run over the whole OpenAPI document (issue 10).

Every operation gets a fixed number of generated requests (seeded: ``derandomize``) against a
live uvicorn on a throw-away demo database of its own, so the writes fuzzing makes never
reach other tests' data. Two checks: no 5xx (``not_a_server_error``) and every answer, error
answers included, conforms to the response schema the document gives for its status.

``make test`` runs a small slice (GRIDMAP_FUZZ_EXAMPLES, default 2 per operation);
``make fuzz`` runs the same test with a bigger budget.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.orm import Session

from api.main import create_app
from gis import demo
from gis.access import keys
from gis.core.settings import Settings
from tests import dbs
from tests.e2e.live import serve

EXAMPLES = int(os.environ.get("GRIDMAP_FUZZ_EXAMPLES", "2"))
# pages, tiles, static assets and the docs answer HTML or binary: the document does not (and
# cannot usefully) describe their bodies, and the page tests cover them
SKIPPED = r"^/(map|m|tiles|static|docs|redoc)(/|$)"


@pytest.fixture(scope="module")
def fuzz_server(base_settings: Settings) -> Iterator[tuple[str, str]]:
    """(base URL, admin key) of a live app on a demo database made for this module."""
    engine = dbs.migrated_database(base_settings, "fuzz")
    try:
        demo.load_demo(engine, seed=42)
        with Session(engine) as session, session.begin():
            key = keys.create_key(session, role="admin", label="fuzz")
        with serve(create_app(dbs.settings_for(engine, base_settings))) as url:
            yield url, key
    finally:
        dbs.drop_database(base_settings, engine)


def _fuzz(operation: APIOperation, mode: GenerationMode, url: str, key: str) -> str | None:
    """Run ``EXAMPLES`` seeded requests of ``mode`` on ``operation``; the first failure."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=url, headers={"Authorization": f"Bearer {key}"},
                               checks=[not_a_server_error, response_schema_conformance],
                               timeout=60)

    try:
        run()
    except Exception as exc:  # every check failure, reported per operation at the end
        return f"{operation.label} [{mode.value}]: {exc}"
    return None


def test_no_server_error_and_answers_match_schema(fuzz_server: tuple[str, str]) -> None:
    url, key = fuzz_server
    api = schemathesis.openapi.from_url(f"{url}/openapi.json").exclude(path_regex=SKIPPED)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) > 40
    failures = [failure for operation in operations
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                if (failure := _fuzz(operation, mode, url, key))]
    assert not failures, f"{len(failures)} failing operations:\n" + "\n\n".join(failures)
