"""One router per resource; ROUTERS is the list the app factory mounts, in order."""

from fastapi import APIRouter

from api.routes import health

ROUTERS: list[APIRouter] = [health.router]
