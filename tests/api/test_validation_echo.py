"""A 422 (and Open311's 400) names the field and the rule, never what the caller sent: the
body may be logged, shown or forwarded, and a caller's phone or ID number must not ride on it."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from api.errors import validation_problems
from gis.access import keys

PHONE, ID_NUMBER, CARD = "13987654321", "32070619900307123X", "6222021234567890123"
SENT = (PHONE, ID_NUMBER, CARD, "13987", "3207061990")


def _clean(text: str) -> bool:
    return not any(value in text for value in SENT)


@pytest.mark.parametrize(("method", "url", "kwargs"), [
    ("post", "/api/v1/events", {"json": {"category": ID_NUMBER, "priority": PHONE,
                                          "location": {"lon": PHONE, "lat": ID_NUMBER},
                                          "reporter": CARD, "reported_at": PHONE}}),
    ("post", "/api/v1/events", {"json": {"category": "sanitation", "channel": PHONE,
                                          "location": {"lon": 119.2, "lat": 34.6}}}),
    ("post", "/api/v1/events/batch", {"json": [{"category": [PHONE], "priority": ID_NUMBER}]}),
    ("get", "/api/v1/locate", {"params": {"lon": PHONE, "lat": ID_NUMBER, "crs": CARD}}),
    ("get", "/api/v1/events", {"params": {"limit": PHONE, "status": ID_NUMBER,
                                          "from": CARD}}),
    ("get", "/api/v1/grids", {"params": {"bbox": f"{PHONE},{ID_NUMBER},1,2"}}),
])
def test_a_422_never_holds_the_sent_values(client: TestClient, session: Session, method: str,
                                           url: str, kwargs: dict) -> None:
    headers = {"Authorization": f"Bearer {keys.create_key(session, role='dispatcher')}"}
    answer = getattr(client, method)(url, headers=headers, **kwargs)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid_input" and answer.json()["detail"]
    assert _clean(answer.text), answer.text


def test_open311_400_never_holds_the_sent_values(client: TestClient, session: Session) -> None:
    key = keys.create_key(session, role="dispatcher")
    answer = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "sanitation", "lat": ID_NUMBER, "long": PHONE,
        "phone": PHONE, "description": CARD})
    assert answer.status_code == 400, answer.text
    assert _clean(answer.text), answer.text


class _Kind(BaseModel):
    kind: Literal["a", "b"]


def _refuse(value: str) -> str:
    raise ValueError(f"not a code: {value}")


class _Strict(BaseModel):
    """Every way pydantic repeats input: a tag, a validator's message, a dict key, an extra."""

    model_config = ConfigDict(extra="forbid")
    tagged: Annotated[_Kind, Field(discriminator="kind")] | None = None
    code: Annotated[str, AfterValidator(_refuse)] | None = None
    counts: dict[int, int] | None = None


def test_messages_that_repeat_input_are_cut() -> None:
    with pytest.raises(ValidationError) as caught:
        _Strict.model_validate({"code": f"电话{PHONE}", "counts": {f"x{ID_NUMBER}": 1},
                                CARD: "extra", "tagged": {"kind": PHONE}})
    problems = validation_problems(RequestValidationError(caught.value.errors()))
    assert _clean(problems), problems
    assert "code: Value error, not a code: …" in problems
    assert "counts.….[key]: Input should be a valid integer" in problems
    assert "*0123: Extra inputs are not permitted" in problems  # the key, masked as a card
    assert "tagged: Input tag '…' found using 'kind'" in problems
