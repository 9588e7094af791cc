import uuid

from allauth.account.utils import perform_login
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from config.errors import ServiceError
from notifications.models import OutboundMessage
from sessions.calendar import feed_urls, site_url, supporter_feed
from sessions.models import Shift
from supporters.access import coordinator_required, supporter_required
from supporters.broadcasts import BroadcastError, preview_broadcast, send_broadcast
from supporters.forms import (
    ApiTokenForm,
    AvailabilityForm,
    BroadcastForm,
    InvitationForm,
    JoinForm,
    PhoneCodeForm,
    code_limit_message,
)
from supporters.models import ApiToken, Invitation, Supporter
from supporters.services import (
    accept_invitation,
    calendar_feed_token,
    check_phone_code,
    create_api_token,
    invitation_for_key,
    invite_supporter,
    regenerate_calendar_token,
    revoke_api_token,
    send_phone_code,
    set_availability,
)
from supporters.services import revoke_invitation as revoke_invitation_service


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


@supporter_required
def availability(request):
    """When the supporter is usually free, for suggesting them for group visits (optional)."""
    supporter = request.user.supporter_or_none
    # An empty POST is an answer too: every box unticked.
    form = AvailabilityForm.for_supporter(
        supporter, request.POST if request.method == "POST" else None
    )
    if form.is_bound and form.is_valid():
        try:
            set_availability(supporter, form.cleaned_slots(), by=request.user)
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, gettext("Saved when you are usually free."))
            return redirect("supporters:availability")
    return render(request, "supporters/availability.html", {"form": form})


@never_cache  # the page shows the feed's secret URL
@supporter_required
def calendar(request):
    """The supporter's calendar feed: a webcal:// link, its QR code, and a new link on demand."""
    supporter = request.user.supporter_or_none
    urls = feed_urls(site_url(request), calendar_feed_token(supporter))
    return render(request, "supporters/calendar.html", urls)


@require_POST
@supporter_required
def regenerate_calendar(request):
    regenerate_calendar_token(request.user.supporter_or_none)
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


# Invitations (issue 5): coordinators invite; the invitee confirms name and phone and joins.

INVITATIONS_PER_PAGE = 50
JOIN_SESSION_KEY = "supporters.join"


@never_cache  # the page that shows a new link must not be kept by the browser or a proxy
@coordinator_required
def invitations(request):
    """Coordinators: invite a supporter by SMS (or email), and see the invitations sent."""
    form = InvitationForm(request.POST or None)
    created = link = None
    if request.method == "POST" and form.is_valid():
        try:
            created, link = invite_supporter(
                by=request.user, base_url=site_url(request), **form.cleaned_data
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            form = InvitationForm()
    listed = Invitation.objects.select_related("invited_by", "supporter")
    # An invitation made in the quiet hours waits for their end: say when it goes.
    text_at = created and OutboundMessage.objects.about(created).goes_out_at()
    context = {
        "form": form,
        "created": created,
        "link": link,
        "text_held_until": text_at if text_at and text_at > timezone.now() else None,
        "page": Paginator(listed, INVITATIONS_PER_PAGE).get_page(request.GET.get("page")),
    }
    return render(request, "supporters/invitations.html", context)


@require_POST
@coordinator_required
def revoke_invitation(request, invitation_id):
    try:
        invitation = revoke_invitation_service(invitation_id, by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, gettext("The invitation to %(name)s is revoked.") % {"name": invitation}
        )
    return redirect("supporters:invitations")


def _invalid_invitation(request, error):
    status = 404 if error.code == "not_found" else 410
    return render(request, "supporters/join_invalid.html", {"error": error}, status=status)


@never_cache
def join(request, key):
    """The invitation's page: confirm your name and phone; the phone then gets a code."""
    try:
        invitation = invitation_for_key(key)
    except ServiceError as error:
        return _invalid_invitation(request, error)
    form = JoinForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        names = {field: form.cleaned_data[field] for field in ("family_name", "given_name")}
        if not phone:  # invited by email, signing in by email
            return _accept_and_sign_in(request, key, invitation, names)
        if ratelimit.consume(request, action="join_code", key=phone):
            sent = send_phone_code(phone, language=invitation.language, related=invitation)
            request.session[JOIN_SESSION_KEY] = {"invitation": invitation.pk, **names, **sent}
            return redirect("supporters:join_code", key=key)
        form.add_error("phone", code_limit_message(phone, "join_code"))
    return render(request, "supporters/join.html", {"form": form, "invitation": invitation})


@never_cache
def join_code(request, key):
    """The invitee types the code texted to them; the account is made and they are signed in."""
    try:
        invitation = invitation_for_key(key)
    except ServiceError as error:
        return _invalid_invitation(request, error)
    pending = request.session.get(JOIN_SESSION_KEY)
    if not pending or pending["invitation"] != invitation.pk:
        return redirect("supporters:join", key=key)
    form = PhoneCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check_phone_code(pending, form.cleaned_data["code"])
        except ServiceError as error:
            if error.code != "incorrect":
                del request.session[JOIN_SESSION_KEY]
                messages.error(request, str(error))
                return redirect("supporters:join", key=key)
            request.session[JOIN_SESSION_KEY] = pending  # the failed try is counted
            form.add_error("code", str(error))
        else:
            del request.session[JOIN_SESSION_KEY]
            names = {field: pending[field] for field in ("family_name", "given_name")}
            return _accept_and_sign_in(request, key, invitation, names, phone=pending["phone"])
    context = {
        "form": form,
        "invitation": invitation,
        "phone": pending["phone"],
        "minutes": settings.SIGN_IN_CODE_MINUTES,
    }
    return render(request, "supporters/join_code.html", context)


def _accept_and_sign_in(request, key, invitation, names, phone=""):
    try:
        user = accept_invitation(invitation, phone=phone, **names)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("supporters:join", key=key)
    messages.success(
        request,
        gettext("Welcome, %(name)s! You are now one of Maebashi's digital supporters.")
        % {"name": names["given_name"]},
    )
    return perform_login(request, user, redirect_url=reverse("home"), signup=True)


# Coordinators' broadcasts ------------------------------------------------------------------


@coordinator_required
def broadcast(request):
    """Write to chosen supporters: the form, a preview with the count and cost, then send."""
    form = BroadcastForm(request.POST or None, search=request.GET.get("q", "").strip())
    step = request.POST.get("step")
    if request.method != "POST" or step == "edit" or not form.is_valid():
        context = {"form": form, "search": request.GET.get("q", "")}
        return render(request, "supporters/broadcast.html", context)
    recipients, text = form.recipients(), form.cleaned_data["text"]
    if step == "send" and form.cleaned_data["key"]:
        try:
            sent = send_broadcast(recipients, text, key=form.cleaned_data["key"], by=request.user)
        except BroadcastError as error:
            messages.error(request, str(error))
        else:
            tell_what_was_sent(request, sent)
            return redirect(reverse("notifications:outbox") + "?purpose=broadcast")
    # Each preview gets a key of its own: its "Send" pressed twice queues each text once.
    data = request.POST.copy()
    data["key"] = uuid.uuid4().hex
    context = {"form": BroadcastForm(data), "preview": preview_broadcast(recipients, text)}
    return render(request, "supporters/broadcast_preview.html", context)


def tell_what_was_sent(request, sent: dict) -> None:
    messages.success(
        request,
        ngettext(
            "%(count)d text is queued.",
            "%(count)d texts are queued.",
            sent["recipients"],
        )
        % {"count": sent["recipients"]},
    )
    if sent["skipped"]:
        messages.warning(
            request,
            ngettext(
                "%(count)d supporter was skipped: no phone number, or texts turned off.",
                "%(count)d supporters were skipped: no phone number, or texts turned off.",
                sent["skipped"],
            )
            % {"count": sent["skipped"]},
        )
