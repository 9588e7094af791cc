from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from config.errors import ServiceError
from sessions.calendar import feed_urls, site_url, supporter_feed
from sessions.models import Shift
from supporters.forms import ApiTokenForm
from supporters.models import ApiToken, Supporter
from supporters.services import (
    calendar_feed_token,
    create_api_token,
    regenerate_calendar_token,
    revoke_api_token,
)


@never_cache  # the page that shows a new secret must not be kept by the browser or a proxy
@login_required
def tokens(request):
    """The person's own API tokens: list them, and create one (its secret shown this once)."""
    form = ApiTokenForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = create_api_token(request.user, form.cleaned_data["name"])
        except ServiceError as error:
            form.add_error("name", str(error))
        else:
            form = ApiTokenForm()
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "created": created,
        "secret": secret,
    }
    return render(request, "supporters/tokens.html", context)


@require_POST
@login_required
def revoke_token(request, token_id):
    try:
        token = revoke_api_token(request.user, token_id)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("“%(name)s” is revoked.") % {"name": token.name})
    return redirect("supporters:tokens")


def signed_in_supporter(request):
    """The signed-in person's supporter profile; pages for supporters refuse anyone else."""
    supporter = request.user.supporter_or_none
    if supporter is None:
        raise PermissionDenied
    return supporter


@never_cache  # the page shows the feed's secret URL
@login_required
def calendar(request):
    """The supporter's calendar feed: a webcal:// link, its QR code, and a new link on demand."""
    supporter = signed_in_supporter(request)
    urls = feed_urls(site_url(request), calendar_feed_token(supporter))
    return render(request, "supporters/calendar.html", urls)


@require_POST
@login_required
def regenerate_calendar(request):
    regenerate_calendar_token(signed_in_supporter(request))
    messages.success(
        request,
        gettext(
            "Your calendar has a new link. The old link no longer works: subscribe again with "
            "the new one."
        ),
    )
    return redirect("supporters:calendar")


@never_cache
def calendar_feed(request, token):
    """The feed calendar apps fetch: no sign-in, the secret URL is the key (404 once revoked)."""
    supporter = get_object_or_404(
        Supporter.objects.select_related("user"), calendar_token=token, user__is_active=True
    )
    now = timezone.now()
    shifts = (
        Shift.objects.filter(supporter=supporter)
        .in_calendar_feed(now)
        .select_related("session__venue")
        .order_by("session__starts_at", "pk")
    )
    response = HttpResponse(
        supporter_feed(supporter, shifts, base_url=site_url(request), now=now),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="digisapo-shifts.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
