"""Open311 GeoReport v2: discovery, services and service requests (JSON form; .xml too)."""

from __future__ import annotations

from pydantic import Field, RootModel

from api.schemas.common import Number, Open


class Endpoint(Open):
    specification: str
    url: str
    changeset: str | None = None
    type: str | None = None
    formats: list[str] = Field(default_factory=list)


class Discovery(Open):
    changeset: str | None = None
    contact: str | None = None
    key_service: str | None = None
    endpoints: list[Endpoint]


class Service(Open):
    """A service type: one event category (service_code = category code)."""

    service_code: str
    service_name: str
    description: str | None = None
    metadata: bool
    type: str
    keywords: str | None = None
    group: str | None = None


class ServiceRequest(Open):
    """A service request (an event, without reporter data); lat/long WGS84."""

    service_request_id: str
    status: str | None = None
    status_notes: str | None = None
    service_name: str | None = None
    service_code: str | None = None
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: str | None = None
    updated_datetime: str | None = None
    expected_datetime: str | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: Number | None = None
    long: Number | None = None
    media_url: str | None = None


class Receipt(Open):
    """What ``POST requests`` answers: the new id (and a notice)."""

    service_request_id: str
    service_notice: str | None = None


class Open311Error(Open):
    """GeoReport's error element: the HTTP status and a description."""

    code: int
    description: str


Services = RootModel[list[Service]]
ServiceRequests = RootModel[list[ServiceRequest]]
Receipts = RootModel[list[Receipt]]
Open311Errors = RootModel[list[Open311Error]]
