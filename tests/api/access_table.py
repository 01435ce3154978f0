"""The access table of tests/api/test_access_matrix.py: who may call each route, with which
objects, and how to find the region of every row an answer carries.

One entry per (method, path template) of the app; a template with several meanings (tile
layers, OGC collections, export kinds) lists one ``Case`` per meaning. Path and query values
and bodies are filled from a ``Sample`` (one object of each kind in one community).
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import mapbox_vector_tile
import openpyxl
from PIL import Image
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import plans
from gis.access.jurisdiction import inside as in_scope
from gis.events import photos

ROLES = ("admin", "planner", "dispatcher", "grid_worker", "viewer")
ALL = frozenset(ROLES)
READERS = frozenset({"admin", "viewer", "grid_worker", "dispatcher", "planner"})
INTAKE = frozenset({"admin", "dispatcher", "grid_worker"})
PLANNER = frozenset({"admin", "planner"})
DISPATCH = frozenset({"admin", "dispatcher"})
SUBDISTRICT, NORTH, SOUTH = "320706013000", "320706013001", "320706013004"

REGION_KEYS = frozenset({"community_code", "subdistrict_code", "region_code", "unit_code",
                         "scope_code", "scope"})
"""Keys whose value is an admin-unit code: every row a scoped key sees must lie in (or
contain) its region."""
CODE_KEYS = frozenset({"code", "building_code", "building", "event_code", "service_request_id",
                       "id", "grid_code", "grid", "agency_responsible", "source_grid_code"})
"""Keys whose value may be the code of a non-public object (building, event) or a grid."""
GRID_CODE = re.compile(r"^[0-9]{15}$")
"""Grid codes are the community code plus a 3-digit sequence."""
TEXT_CODES = re.compile(r"320706013B[0-9]{5}|E[0-9]{15}")
"""Building and event codes as they appear in HTML and XML answers."""


@dataclass
class Sample:
    """One object of each kind inside ``community`` (lon/lat: EPSG:4490)."""

    community: str
    building: str
    address: str
    lon: float
    lat: float
    grid: str
    event: str
    resolved_event: str
    facility: str
    unplaced: str
    """An event waiting for a location, recorded in this community (``region_code``)."""
    plan_id: int | None = None


@dataclass
class World:
    """The demo objects the table's cases are filled from; plans are drawn on first use."""

    session: Session
    samples: dict[str, Sample]
    current_key: str = ""
    """The key of the caller about to ask (the login form types it)."""

    def plan(self, sample: Sample) -> int:
        if sample.plan_id is None:
            sample.plan_id = plans.create_plan(self.session, kind="balance",
                                               scope_code=sample.community,
                                               created_by="access-matrix").id
        return sample.plan_id

    def photo(self, sample: Sample, source: str = "staff") -> int:
        """A photo of the sample's event (``source`` open311: the one its media_url shows)."""
        side = 24 if source == "staff" else 32  # different bytes: one row each
        stored = photos.add_photo(self.session, sample.event,
                                  photos.clean_photo(png_photo(side)), actor="access-matrix",
                                  source=source)
        return int(stored["id"])

    def edited_plan(self, sample: Sample) -> int:
        """The sample's plan after one split edit (so an undo has something to take back)."""
        plan_id = self.plan(sample)
        if not plans.get_plan(self.session, plan_id).params.get("undo"):
            plans.edit_plan(self.session, plan_id, self.split_edit(sample), actor="matrix")
        return plan_id

    def split_edit(self, sample: Sample) -> dict:
        """A split of the plan's first grid along the meridian through its middle."""
        row = self.session.execute(text(
            "SELECT seq, ST_X(ST_PointOnSurface(geom)) AS x, ST_YMin(geom) AS y0, "
            "ST_YMax(geom) AS y1 FROM plan_grid WHERE plan_id = :p ORDER BY seq LIMIT 1"),
            {"p": self.plan(sample)}).one()
        line = {"type": "LineString", "coordinates": [[row.x, row.y0 - 0.001],
                                                      [row.x, row.y1 + 0.001]]}
        return {"op": "split", "seq": row.seq, "line": line}


def load_world(session: Session) -> World:
    """Samples of communities 001 and 004 of the demo district; one unplaced demo event is
    recorded in each of them (in this test's transaction)."""
    samples = {}
    for n, community in enumerate((NORTH, SOUTH)):
        b = session.execute(text(
            "SELECT code, address, ST_X(ST_PointOnSurface(geom)) AS lon, "
            "ST_Y(ST_PointOnSurface(geom)) AS lat FROM building WHERE community_code = :c "
            "AND households > 0 ORDER BY code LIMIT 1"), {"c": community}).one()

        def one(sql: str, c: str = community) -> str:
            return session.execute(text(sql), {"c": c}).scalar_one()

        samples[community] = Sample(
            community=community, building=b.code, address=b.address, lon=b.lon, lat=b.lat,
            grid=one("SELECT min(code) FROM grid WHERE community_code = :c AND valid_to IS "
                     "NULL AND theme = 'unified'"),
            event=one("SELECT min(code) FROM event WHERE community_code = :c AND status = "
                      "'reported'"),
            resolved_event=one("SELECT min(code) FROM event WHERE community_code = :c AND "
                               "status = 'resolved'"),
            facility=one("SELECT min(code) FROM facility WHERE community_code = :c"),
            unplaced=one("UPDATE event SET region_code = :c WHERE code = (SELECT code FROM "
                         "event WHERE status = 'needs_location' ORDER BY code "
                         f"OFFSET {n} LIMIT 1) RETURNING code"))
    return World(session, samples)


def load_code_index(session: Session) -> dict[str, str | None]:
    """Community of every building and event (an event not placed yet: the region it was
    recorded in, None without one)."""
    rows = session.execute(text(
        "SELECT code, community_code FROM building UNION ALL SELECT code, "
        "coalesce(community_code, subdistrict_code, region_code) FROM event"))
    return {code: community for code, community in rows}


Fill = Callable[[World, Sample], dict[str, Any]]


def _none(w: World, s: Sample) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    """One meaning of a route.

    roles: key roles that may call it (admin always); public: anonymous may too (public
    layers: no region check on its rows). regional: the answer or the object named lies in
    a region, so a scoped key sees only its own. single: the request names one object, so
    asking for another region's object must be refused (not answered empty). scoped_ok:
    False when no region-limited key may do it at all (unplaced events have no region).
    """

    name: str = ""
    roles: frozenset[str] = ALL
    public: bool = False
    regional: bool = True
    single: bool = False
    scoped_ok: bool = True
    open_read: bool = False
    """Anonymous callers read any object (redacted, as Open311's one request); keys stay
    confined to their region."""
    path: Fill = _none
    query: Fill = _none
    json: Callable[[World, Sample], Any] | None = None
    form: Fill | None = None
    files: Fill | None = None
    """Multipart files (with ``form`` as its other fields)."""
    content: Callable[[World, Sample], bytes] | None = None
    ok: frozenset[int] = frozenset({200, 201, 204})
    refused: frozenset[int] = frozenset()  # refusals besides 401/403/404
    few: bool = False  # seconds per request: ask only test_access_matrix.FEW, object of 001
    check: str = "rows"  # rows | tile | none
    tile_layer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def PUBLIC(name: str = "", **kw: Any) -> Case:  # noqa: N802 - reads as a table column
    """A public route: anyone, every role, no region."""
    return Case(name=name, public=True, regional=False, **kw)


def tile_xy(lon: float, lat: float, z: int) -> dict[str, int]:
    """The XYZ tile (Web Mercator, y down) holding lon/lat at zoom ``z``."""
    n = 2 ** z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return {"z": z, "x": int((lon + 180) / 360 * n), "y": int(y)}


def _event_body(w: World, s: Sample) -> dict:
    return {"category": "noise", "channel": "12345", "description": "矩阵测试",
            "location": {"lon": s.lon, "lat": s.lat, "crs": "EPSG:4490"}}


def png_photo(side: int = 16) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (90, 160, 60)).save(out, "PNG")
    return out.getvalue()


def _photo_upload(w: World, s: Sample) -> dict[str, Any]:
    return {"photo": ("photo.png", png_photo(), "image/png")}


def _facility_upload(w: World, s: Sample) -> bytes:
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
               "properties": {"code": f"FX{s.community}", "name": "矩阵测试卫生室",
                              "type": "clinic", "community_code": s.community}}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def _bbox(w: World, s: Sample) -> dict[str, Any]:
    return {"bbox": f"{s.lon - 0.0005},{s.lat - 0.0005},{s.lon + 0.0005},{s.lat + 0.0005}"}


def _plan(w: World, s: Sample) -> dict[str, Any]:
    return {"plan_id": w.plan(s)}


def _event(w: World, s: Sample) -> dict[str, Any]:
    return {"code": s.event}


def _building(w: World, s: Sample) -> dict[str, Any]:
    return {"code": s.building}


def _scope(w: World, s: Sample) -> dict[str, Any]:
    return {"scope": s.community}


def _ogc(collection: str, **kw: Any) -> Case:
    public = collection not in ("buildings", "events")
    item = {"items": lambda w, s: {"collection_id": collection},
            "item": lambda w, s: {"collection_id": collection, "feature_id": {
                "buildings": s.building, "grids": s.grid, "regions": s.community,
                "facilities": s.facility, "events": s.event}[collection]},
            "one": lambda w, s: {"collection_id": collection}}[kw.pop("what")]
    return Case(name=collection, public=public, regional=not public, path=item, **kw)


def _export(kind: str) -> Case:
    path = lambda w, s: {"kind": kind}  # noqa: E731
    if kind in ("households", "residents", "events", "buildings"):
        return Case(name=kind, path=path, few=True)
    return PUBLIC(kind, path=path, few=True)


def _tile(layer: str) -> Case:
    path = lambda w, s: {"layer": layer, **tile_xy(s.lon, s.lat, 15)}  # noqa: E731
    if layer == "buildings":  # bare footprints are public, attributes only in the region
        return Case(name=layer, public=True, path=path, check="tile", tile_layer=layer)
    if layer == "events":  # open events of the key's region only
        return Case(name=layer, path=path, check="tile", tile_layer=layer)
    return PUBLIC(layer, path=path, check="tile", tile_layer=layer)


def _tilejson(layer: str) -> Case:
    path = lambda w, s: {"layer": layer}  # noqa: E731
    if layer == "events":
        return Case(name=layer, path=path, regional=False)
    return PUBLIC(layer, path=path)


API = "/api/v1"
TABLE: dict[tuple[str, str], list[Case]] = {
    # documentation, health, pages without data, offline assets: public, no region
    ("GET", "/openapi.json"): [PUBLIC()],
    ("GET", "/docs"): [PUBLIC()],
    ("GET", "/docs/oauth2-redirect"): [PUBLIC()],
    ("GET", "/redoc"): [PUBLIC()],
    ("GET", f"{API}/health"): [PUBLIC()],
    ("GET", "/static/vendor/leaflet-heat/leaflet_heat.min.js"): [PUBLIC()],
    ("GET", "/static/vendor/leaflet.draw"): [PUBLIC()],
    ("GET", "/static/vendor/leaflet.vectorgrid"): [PUBLIC()],
    ("GET", "/static/vendor/leaflet"): [PUBLIC()],
    ("GET", "/static/vendor/jquery"): [PUBLIC()],
    ("GET", "/static/vendor/leaflet.markercluster"): [PUBLIC()],
    ("GET", "/static/gridmap"): [PUBLIC()],
    ("GET", "/static/vendor/swagger-ui"): [PUBLIC()],
    ("GET", "/static/vendor/echarts"): [PUBLIC()],
    ("GET", "/static/api-docs/redoc.standalone.js"): [PUBLIC()],
    ("GET", "/static/vendor/pmtiles"): [PUBLIC()],
    ("GET", "/static/vendor/protomaps-leaflet"): [PUBLIC()],
    # the pmtiles:// basemap archive: public; none is configured in the matrix run (404)
    ("GET", "/map/basemap.pmtiles"): [PUBLIC(ok=frozenset({200, 404}), check="none")],
    ("GET", "/map/login"): [PUBLIC()],
    ("POST", "/map/login"): [Case(regional=False, ok=frozenset({303}),
                                  form=lambda w, s: {"key": w.current_key or "gm_x_y"})],
    ("POST", "/map/logout"): [PUBLIC(ok=frozenset({303}))],
    # public layers: grids, facilities, service circles, workers' public contact, admin units
    ("GET", f"{API}/regions"): [PUBLIC()],
    ("GET", f"{API}/regions/{{code}}"): [PUBLIC(path=lambda w, s: {"code": s.community})],
    ("GET", f"{API}/grids"): [PUBLIC(query=lambda w, s: {"community": s.community})],
    ("GET", f"{API}/grids/{{code}}"): [PUBLIC(path=lambda w, s: {"code": s.grid})],
    ("GET", f"{API}/facilities"): [PUBLIC()],
    ("GET", f"{API}/facilities/{{code}}"): [PUBLIC(path=lambda w, s: {"code": s.facility})],
    ("GET", f"{API}/grid-workers"): [PUBLIC(query=lambda w, s: {"grid": s.grid})],
    ("GET", f"{API}/service-circles"): [PUBLIC(few=True)],
    ("GET", f"{API}/locate"): [PUBLIC(query=lambda w, s: {"lon": s.lon, "lat": s.lat})],
    ("GET", "/ogc"): [PUBLIC()],
    ("GET", "/ogc/conformance"): [PUBLIC()],
    ("GET", "/ogc/collections"): [PUBLIC()],
    ("GET", "/ogc/collections/{collection_id}"): [
        _ogc(c, what="one") for c in ("grids", "regions", "facilities", "facility_areas",
                                      "buildings", "events")],
    ("GET", "/ogc/collections/{collection_id}/queryables"): [
        _ogc(c, what="one", check="none") for c in ("grids", "buildings", "events")],
    ("GET", "/ogc/collections/{collection_id}/items"): [
        _ogc("grids", what="items"), _ogc("facilities", what="items"),
        _ogc("facility_areas", what="items"),
        _ogc("buildings", what="items", query=_bbox), _ogc("buildings", what="items"),
        _ogc("events", what="items"), _ogc("events", what="items", query=_bbox)],
    ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"): [
        _ogc("grids", what="item"), _ogc("regions", what="item"),
        _ogc("facilities", what="item"), _ogc("buildings", what="item", single=True),
        _ogc("events", what="item", single=True)],
    ("GET", "/tiles/{layer}/{z}/{x}/{y}.pbf"): [
        _tile("grids"), _tile("facilities"), _tile("circles"), _tile("buildings"),
        _tile("events")],
    ("GET", "/tiles/{layer}.json"): [_tilejson(layer) for layer in ("grids", "events")],
    ("GET", "/tiles/style.json"): [PUBLIC()],
    ("GET", "/open311/discovery.{fmt}"): [PUBLIC(path=lambda w, s: {"fmt": "json"})],
    ("GET", "/open311/v2/services.{fmt}"): [PUBLIC(path=lambda w, s: {"fmt": "json"})],
    # maps: /map and /map/coverage public (footprints; building details only in the region)
    ("GET", "/map"): [Case(public=True, few=True, query=lambda w, s: {"community": s.community})],
    # their layers after load: public layers (grids, facilities, circles); building details
    # in popups only for keys inside their region, as on the pages
    ("GET", "/map/layers/overview"): [PUBLIC(few=True,
                                             query=lambda w, s: {"community": s.community})],
    ("GET", "/map/coverage"): [Case(public=True, few=True,
                                         query=lambda w, s: {"k": 0})],
    ("GET", "/map/layers/coverage"): [PUBLIC(few=True, query=lambda w, s: {"k": 0})],
    ("GET", "/map/qa"): [Case(roles=PLANNER, single=True, few=True, query=_scope)],
    ("GET", "/map/plans/{plan_id}"): [Case(roles=PLANNER, single=True, path=_plan)],
    ("GET", "/map/plans"): [Case(roles=PLANNER, single=True, few=True, query=_scope),
                            Case("plan", roles=PLANNER, single=True, few=True,
                                 query=lambda w, s: {"plan": w.plan(s)})],
    ("GET", "/map/dispatch"): [Case("event", roles=INTAKE, single=True,
                                    query=lambda w, s: {"event": s.event}),
                               Case("console", roles=INTAKE)],
    ("GET", "/map/dispatch/case"): [Case(roles=INTAKE, single=True,
                                         query=lambda w, s: {"event": s.event})],
    ("GET", "/map/layers/case"): [Case(roles=INTAKE, single=True,
                                        query=lambda w, s: {"event": s.event})],
    ("GET", "/map/plans/{plan_id}/report"): [Case(roles=PLANNER, single=True, path=_plan)],
    # the 数字驾驶舱 reads /api/v1/kpis in the browser: the page itself holds no rows
    ("GET", "/map/cockpit"): [Case(regional=False)],
    ("GET", "/map/cockpit/export.xlsx"): [
        Case("all", query=lambda w, s: {"level": "community"}),
        Case("region", single=True,
             query=lambda w, s: {"level": "grid", "region": s.community})],
    ("GET", "/map/dispatch/list"): [Case(roles=INTAKE,
                                         query=lambda w, s: {"grid": s.grid})],
    ("GET", "/map/layers/console"): [Case(roles=INTAKE)],
    ("GET", "/map/layers/events"): [Case(roles=INTAKE,
                                          query=lambda w, s: {"grid": s.grid})],
    # buildings, households, residents, geocoding: any key, its region only
    ("GET", f"{API}/buildings"): [
        Case("all"),
        Case("community", query=lambda w, s: {"community": s.community}),
        Case("grid", query=lambda w, s: {"grid": s.grid}),
        Case("bbox", query=_bbox)],
    ("GET", f"{API}/buildings/{{code}}"): [Case(single=True, path=_building)],
    ("GET", f"{API}/buildings/{{code}}/households"): [Case(single=True, path=_building)],
    ("GET", f"{API}/buildings/{{code}}/grid-history"): [
        Case(roles=READERS, single=True, path=_building)],
    ("GET", f"{API}/residents"): [
        Case("building", single=True, query=lambda w, s: {"building": s.building}),
        Case("grid", single=True, query=lambda w, s: {"grid": s.grid})],
    ("GET", f"{API}/geocode"): [Case(query=lambda w, s: {"q": s.address})],
    # a point's grid, community and worker are public (as /locate); the nearest building
    # is looked for only in the key's region (tests/api/test_console.py checks that)
    ("GET", f"{API}/geocode/reverse"): [Case(regional=False,
                                             query=lambda w, s: {"lon": s.lon, "lat": s.lat})],
    ("GET", f"{API}/geocode/search"): [
        Case("address", query=lambda w, s: {"q": s.address}),
        Case("coordinates", regional=False, query=lambda w, s: {"q": f"{s.lon},{s.lat}"}),
        Case("building", single=True, refused=frozenset({404}),
             query=lambda w, s: {"q": s.building})],
    ("GET", f"{API}/grids/load"): [Case("all", roles=READERS),
                                   Case("scope", roles=READERS, query=_scope)],
    ("GET", f"{API}/qa"): [Case("all", roles=READERS, few=True),
                           Case("scope", roles=READERS, few=True, query=_scope)],
    ("GET", f"{API}/kpis"): [
        Case(query=lambda w, s: {"level": "community"}),
        Case("region", single=True, query=lambda w, s: {"level": "grid", "region": s.community})],
    ("GET", f"{API}/coverage"): [Case(roles=READERS)],
    ("GET", f"{API}/coverage/sites"): [Case(roles=READERS, query=lambda w, s: {"k": 1})],
    # import (planner, rows of its region only) and export (public kinds for anyone)
    ("POST", f"{API}/import/{{kind}}"): [Case(
        roles=PLANNER, single=True, refused=frozenset({422}),
        path=lambda w, s: {"kind": "facilities"}, content=_facility_upload)],
    ("GET", f"{API}/export/{{kind}}"): [
        _export(k) for k in ("regions", "grids", "buildings", "facilities", "grid_workers",
                             "households", "residents", "events", "roads")],
    # events (工单)
    ("POST", f"{API}/events"): [Case(roles=INTAKE, single=True, json=_event_body)],
    ("POST", f"{API}/events/batch"): [Case(roles=INTAKE, single=True,
                                           json=lambda w, s: [_event_body(w, s)])],
    ("GET", f"{API}/events"): [Case(roles=READERS)],
    ("GET", f"{API}/events/overdue"): [Case(roles=READERS)],
    ("GET", f"{API}/events/{{code}}"): [Case(roles=READERS, single=True, path=_event)],
    ("POST", f"{API}/events/{{code}}/transitions"): [
        Case(roles=INTAKE, single=True, path=_event, json=lambda w, s: {"to": "accepted"})],
    ("POST", f"{API}/events/{{code}}/escalate"): [
        Case(roles=INTAKE, single=True, path=_event, json=lambda w, s: {"note": "吹哨"})],
    ("GET", f"{API}/events/{{code}}/actions"): [Case(roles=INTAKE, single=True, path=_event)],
    ("POST", f"{API}/events/{{code}}/duplicate-of"): [
        Case(roles=DISPATCH, single=True, path=_event,
             json=lambda w, s: {"original": s.resolved_event, "note": "同一处"})],
    ("POST", f"{API}/events/{{code}}/satisfaction"): [
        Case(roles=INTAKE, single=True, path=lambda w, s: {"code": s.resolved_event},
             json=lambda w, s: {"score": 5})],
    ("POST", f"{API}/events/{{code}}/priority"): [
        Case(roles=INTAKE, single=True, path=_event, json=lambda w, s: {"priority": 1})],
    ("POST", f"{API}/events/{{code}}/location"): [
        Case(roles=DISPATCH, single=True, path=lambda w, s: {"code": s.unplaced},
             json=lambda w, s: {"lon": s.lon, "lat": s.lat, "crs": "EPSG:4490"})],
    ("POST", f"{API}/events/{{code}}/photos"): [
        Case(roles=INTAKE, single=True, path=_event, files=_photo_upload)],
    ("GET", f"{API}/events/{{code}}/photos"): [Case(roles=READERS, single=True, path=_event)],
    ("GET", f"{API}/events/{{code}}/photos/{{photo_id}}"): [Case(
        roles=READERS, single=True, check="none",
        path=lambda w, s: {"code": s.event, "photo_id": w.photo(s)})],
    ("GET", "/open311/v2/requests.{fmt}"): [Case(roles=READERS,
                                                 path=lambda w, s: {"fmt": "json"})],
    ("POST", "/open311/v2/requests.{fmt}"): [Case(
        roles=INTAKE, single=True, path=lambda w, s: {"fmt": "json"},
        form=lambda w, s: {"service_code": "noise", "lat": s.lat, "long": s.lon,
                           "description": "矩阵测试"}),
        Case("media", roles=INTAKE, single=True, path=lambda w, s: {"fmt": "json"},
             form=lambda w, s: {"service_code": "noise", "lat": s.lat, "long": s.lon},
             files=lambda w, s: {"media": ("m.png", png_photo(), "image/png")})],
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"): [Case(
        roles=READERS, single=True, public=True, open_read=True,
        path=lambda w, s: {"service_request_id": s.event, "fmt": "json"})],
    ("GET", "/open311/v2/requests/{service_request_id}/media"): [Case(
        roles=READERS, single=True, public=True, open_read=True, check="none",
        path=lambda w, s: {"service_request_id": s.event, "photo": w.photo(s, "open311")})],
    # plans (balance, 多格合一)
    ("POST", f"{API}/plans"): [Case(roles=PLANNER, single=True, json=lambda w, s: {
        "kind": "balance", "scope": s.community})],
    ("GET", f"{API}/plans/{{plan_id}}"): [Case(roles=READERS, single=True, path=_plan)],
    ("GET", f"{API}/plans/{{plan_id}}/report"): [Case(roles=PLANNER, single=True, path=_plan)],
    ("GET", f"{API}/plans/{{plan_id}}/report.xlsx"): [
        Case(roles=PLANNER, single=True, path=_plan, check="none")],
    ("GET", f"{API}/plans/compare"): [Case(roles=PLANNER, single=True, query=lambda w, s: {
        "a": w.plan(s), "b": w.plan(s)})],
    ("POST", f"{API}/plans/{{plan_id}}/edits"): [
        Case(roles=PLANNER, single=True, path=_plan, json=lambda w, s: w.split_edit(s))],
    ("POST", f"{API}/plans/{{plan_id}}/undo"): [Case(
        roles=PLANNER, single=True, path=lambda w, s: {"plan_id": w.edited_plan(s)})],
    ("POST", f"{API}/plans/{{plan_id}}/apply"): [Case(
        roles=PLANNER, single=True, path=_plan,
        query=lambda w, s: {"confirm_unstaffed": "true"})],
    ("POST", f"{API}/plans/{{plan_id}}/reject"): [Case(roles=PLANNER, single=True, path=_plan)],
    ("GET", f"{API}/plans/{{plan_id}}/worker-candidates"): [
        Case(roles=PLANNER, single=True, path=_plan)],
    ("PUT", f"{API}/plans/{{plan_id}}/workers"): [
        Case(roles=PLANNER, single=True, path=_plan, json=lambda w, s: {"workers": {}})],
}


# --- where the rows of an answer lie -------------------------------------------------------

def regions_in_json(value: Any, index: dict[str, str | None]) -> Iterator[str | None]:
    """Region (community or other unit) code of every row-ish value in a JSON answer; None
    for an object that lies in no region (an event not placed yet)."""
    if isinstance(value, dict):
        # an unplaced event has no community but lies in the region it was recorded in
        placed = not isinstance(value.get("region_code"), str)
        for key, item in value.items():
            if key in REGION_KEYS and (isinstance(item, str)
                                       or (key == "community_code" and placed)):
                yield item
            elif key in CODE_KEYS and isinstance(item, str):
                yield from _code_region(item, index)
            else:
                yield from regions_in_json(item, index)
    elif isinstance(value, list):
        for item in value:
            yield from regions_in_json(item, index)


def _code_region(code: str, index: dict[str, str | None]) -> Iterator[str | None]:
    if code in index:
        yield index[code]
    elif GRID_CODE.match(code):
        yield code[:12]


def regions_in_workbook(data: bytes, index: dict[str, str | None]) -> Iterator[str | None]:
    """Region of every unit row of a KPI workbook (first column: 单位代码, of each sheet)."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    for sheet in book.worksheets:
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, ())
        if header and header[0] == "单位代码":
            yield from regions_in_json([{"unit_code": row[0]} for row in rows], index)


def regions_in_text(body: str, index: dict[str, str | None]) -> Iterator[str | None]:
    """Region of every building or event code an HTML or XML answer names."""
    for code in set(TEXT_CODES.findall(body)):
        yield from _code_region(code, index)


def regions_in_tile(data: bytes, index: dict[str, str | None]) -> Iterator[str | None]:
    """Region of every tile feature that carries attributes (bare footprints are public);
    a feature with attributes but no code says '?'."""
    for layer in mapbox_vector_tile.decode(data).values():
        for feature in layer["features"]:
            props = {k: v for k, v in feature["properties"].items() if v is not None}
            if not props:
                continue
            found = list(regions_in_json(props, index))
            yield from found or ["?"]


def inside(code: str | None, region: str) -> bool:
    """``code`` lies in ``region`` or contains it (a subdistrict total for a community key)."""
    return code is not None and (in_scope(code, region) or in_scope(region, code))
