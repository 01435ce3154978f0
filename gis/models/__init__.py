"""ORM models of every table (DDL itself lives in migrations/)."""

from gis.models.admin import Grid, GridWorker, GridWorkerGrid, Region
from gis.models.base import STORAGE_SRID, Base
from gis.models.buildings import Building, Household, Resident
from gis.models.events import Event, EventLog, EventPhoto, EventRegistry
from gis.models.facilities import Facility, ServiceArea
from gis.models.network import RoadEdge, RoadNode
from gis.models.plans import Plan, PlanBuilding, PlanCrosswalk, PlanGrid
from gis.models.security import ApiKey, AuditLog
from gis.models.water import WaterArea

__all__ = [
    "STORAGE_SRID", "ApiKey", "AuditLog", "Base", "Building", "Event", "EventLog", "EventPhoto",
    "EventRegistry", "Facility",
    "Grid", "GridWorker", "GridWorkerGrid", "Household", "Plan", "PlanBuilding",
    "PlanCrosswalk", "PlanGrid", "Region", "Resident", "RoadEdge", "RoadNode", "ServiceArea",
    "WaterArea",
]
