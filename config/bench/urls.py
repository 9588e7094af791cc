"""The site's URLs plus the floor: a bare view through the same middleware, for the benchmark only.

The floor is what Django itself costs per request on this machine (middleware, sessions, the WSGI
server); each page's share of it is how much of that budget the page's own work leaves.
"""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def floor(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/floor", floor, name="bench_floor"), *site_urlpatterns]
