"""One router per resource; ROUTERS is the list the app factory mounts, in order."""

from fastapi import APIRouter

from api.routes import (
            basemaps,
            buildings,
            circles,
            cockpit,
            dispatch,
            docs,
            events,
            facilities,
            geocode,
            grid_load,
            grids,
            health,
            io,
            kpis,
            locate,
            login,
            maps,
            ogc,
            open311,
            photos,
            plan_reports,
            plans,
            qa,
            regions,
            residents,
            tiles,
            workers,
)

# locate first: routes are tried in order, and the hotline's locate (one path of its own, no
# pattern another route could take) is the most frequent request; grid_load before the grids
# router: /grids/load must not match /grids/{code}; plan_reports before plans: /plans/compare
# must not match /plans/{plan_id}
ROUTERS: list[APIRouter] = [locate.router, health.router, grid_load.router, qa.router,
                            plan_reports.router, plans.router]
ROUTERS += [regions.router, grids.router, buildings.router, facilities.router,
            workers.router, residents.router, ogc.router]
ROUTERS += [geocode.router, events.router, photos.router, open311.router,
            kpis.router, dispatch.router]
ROUTERS += [maps.router, cockpit.router, login.router, tiles.router, circles.router,
            basemaps.router]
ROUTERS += [io.router, docs.router]
