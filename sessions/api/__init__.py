"""The sessions app's API routers, by journey; config.api mounts them."""

from sessions.api.class_desk import class_desk_router
from sessions.api.classes import classes_router
from sessions.api.cover import cover_requests_router, shift_cover_router
from sessions.api.requests import requests_router
from sessions.api.schedules import call_off_router, schedules_router
from sessions.api.shifts import board_router, checkin_router, router

__all__ = [
    "board_router",
    "call_off_router",
    "checkin_router",
    "class_desk_router",
    "classes_router",
    "cover_requests_router",
    "requests_router",
    "router",
    "schedules_router",
    "shift_cover_router",
]
