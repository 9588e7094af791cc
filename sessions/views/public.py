"""The public pages about the programme: what a group visit is (the class list is in
`classes.py`)."""

from django.conf import settings
from django.shortcuts import render

from config.public_pages import public_context, public_page
from sessions.models import DispatchRequest


@public_page
def visits(request):
    """What a group visit is, who may ask, what happens after asking; the form is linked."""
    context = {
        "min_residents": DispatchRequest.MIN_RESIDENTS,
        "days_ahead": settings.DISPATCH_MIN_DAYS_AHEAD,
    }
    return render(request, "sessions/visits.html", public_context(request, context))


# Group-visit requests (issue 10): the form, its confirmation, the status page -----------------
