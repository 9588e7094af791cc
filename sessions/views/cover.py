"""Cover requests (issue 13): "I need cover" from My shifts, and the page the cover text
links to."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from sessions.models import CoverOffer, CoverRequest, Shift
from sessions.services import (
    CoverError,
    ShiftError,
    cancel_cover,
    cover_deadline,
    decline_cover,
    request_cover,
    take_cover,
)
from supporters.access import supporter_required


@require_http_methods(["GET", "POST"])
@supporter_required
def ask_for_cover(request, shift_id):
    """GET: what asking for cover means, and the button. POST: ask."""
    shift = get_object_or_404(
        Shift.objects.select_related("session__venue"),
        pk=shift_id,
        supporter=request.user.supporter_or_none,
    )
    if request.method != "POST":
        context = {
            "shift": shift,
            "session": shift.session,
            "deadline": cover_deadline(shift.session),
        }
        return render(request, "sessions/cover_ask.html", context)
    try:
        cover = request_cover(shift, by=request.user)
    except CoverError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext(
                "We are asking other supporters. The shift stays yours until one takes it: "
                "we will text you."
            )
            if cover.offers.exists()
            else gettext(
                "Your request is open, but no other supporter can be asked just now. The "
                "office will see it; the shift stays yours."
            ),
        )
    return redirect("helpdesk_sessions:my_shifts")


@require_POST
@supporter_required
def cancel_cover_request(request, shift_id):
    """The supporter can come after all."""
    cover = get_object_or_404(
        CoverRequest.objects.open(),
        shift_id=shift_id,
        shift__supporter=request.user.supporter_or_none,
    )
    try:
        cancel_cover(cover, by=request.user)
    except CoverError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("You are coming after all: nobody else will be asked."))
    return redirect("helpdesk_sessions:my_shifts")


@require_http_methods(["GET", "POST"])
def cover(request, token):
    """The page the cover text links to: take the shift, or say you cannot. The link is the
    proof, as a reply from the supporter's phone is: no sign-in on a phone in a hurry."""
    offer = get_object_or_404(
        CoverOffer.objects.select_related("request__shift__session__venue", "supporter"),
        token=token,
    )
    if request.method == "POST":
        try:
            if request.POST.get("answer") == "take":
                take_cover(offer)
                messages.success(request, gettext("The shift is yours. Thank you!"))
            else:
                decline_cover(offer)
                messages.success(request, gettext("Thank you for telling us."))
        except (CoverError, ShiftError) as error:
            messages.error(request, error.message)
        return redirect("helpdesk_sessions:cover", token=offer.token)
    context = {
        "offer": offer,
        "cover": offer.request,
        "session": offer.request.shift.session,
    }
    return render(request, "sessions/cover.html", context)
