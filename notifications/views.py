"""Twilio's webhooks (delivery reports and incoming texts, each signed by Twilio), and the
coordinators' pages: the outbox and incoming texts (broadcasts are supporters')."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from notifications.forms import OutboxFilterForm, TwilioInboundForm, TwilioStatusForm
from notifications.inbound import receive_sms, record_delivery_status
from notifications.models import InboundMessage, OutboundMessage
from notifications.services import (
    OutboxError,
    mark_read,
    outbox_summary,
    retry_message,
    usage_by_month,
)
from supporters.access import coordinator_required

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def signed_by_twilio(request) -> bool:
    """Check X-Twilio-Signature against the URL Twilio called: behind a proxy, the public one."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    if settings.PUBLIC_URL:
        url = settings.PUBLIC_URL + request.get_full_path()
    else:
        url = request.build_absolute_uri()
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST, signature)


@csrf_exempt
@require_POST
def twilio_status(request):
    if not signed_by_twilio(request):
        return HttpResponseForbidden()
    report = TwilioStatusForm(request.POST)
    if not report.is_valid():
        return HttpResponseBadRequest()
    message_id = request.GET.get("m", "")
    record_delivery_status(
        message_id=int(message_id) if message_id.isdigit() and len(message_id) < 19 else None,
        sid=report.cleaned_data["MessageSid"],
        status=report.cleaned_data["MessageStatus"],
        error_code=report.cleaned_data["ErrorCode"],
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request):
    if not signed_by_twilio(request):
        return HttpResponseForbidden()
    text = TwilioInboundForm(request.POST)
    if not text.is_valid():
        return HttpResponseBadRequest()
    receive_sms(
        sid=text.cleaned_data["MessageSid"],
        from_number=text.cleaned_data["From"],
        to_number=text.cleaned_data["To"],
        body=text.cleaned_data["Body"],
    )
    # Replies go through the outbox, not TwiML: quiet hours, opt-outs and retries apply.
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


# Coordinators' pages -----------------------------------------------------------------------

PAGE_SIZE = 25


def back_to(request, default: str) -> str:
    """Where the page with the button asked to return (its filters and page), if it is ours."""
    url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(default)


@coordinator_required
def outbox(request):
    """The queue at a glance, texts and cost per month, and the texts, filtered and paged."""
    now = timezone.now()
    queue = outbox_summary(now)
    filters = OutboxFilterForm(request.GET or None)
    texts = filters.filter(OutboundMessage.objects.with_recipient_name())
    context = {
        "filters": filters,
        "page": Paginator(texts.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
        "queue": queue,
        "oldest_due_since": now - queue["oldest_due_age"] if queue["oldest_due_age"] else None,
        "months": usage_by_month(),
        "price": settings.SMS_PRICE_PER_SEGMENT,
    }
    return render(request, "notifications/outbox.html", context)


@require_POST
@coordinator_required
def outbox_retry(request, message_id):
    message = get_object_or_404(OutboundMessage, pk=message_id)
    try:
        retry_message(message)
    except OutboxError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            gettext("The text to %(phone)s will be sent again.") % {"phone": message.to_national},
        )
    return redirect(back_to(request, "notifications:outbox"))


@coordinator_required
def inbound(request):
    """Texts people sent us, those still to read first."""
    texts = InboundMessage.objects.with_sender_name().unread_first()
    context = {
        "page": Paginator(texts, PAGE_SIZE).get_page(request.GET.get("page")),
        "unread": InboundMessage.objects.filter(is_read=False).count(),
    }
    return render(request, "notifications/inbound.html", context)


@require_POST
@coordinator_required
def inbound_read(request, message_id):
    message = get_object_or_404(InboundMessage, pk=message_id)
    mark_read(InboundMessage.objects.filter(pk=message.pk))
    messages.success(
        request, gettext("The text from %(phone)s is read.") % {"phone": message.from_national}
    )
    return redirect(back_to(request, "notifications:inbound"))
