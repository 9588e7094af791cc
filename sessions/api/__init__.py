"""The sessions app's API routers, by journey; config.api mounts them."""

from sessions.api.classes import classes_router
from sessions.api.requests import requests_router
from sessions.api.shifts import board_router, checkin_router, router

__all__ = ["board_router", "checkin_router", "classes_router", "requests_router", "router"]
