"""Twilio's webhooks: delivery reports and incoming texts, each signed by Twilio."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from notifications.inbound import receive_sms, record_delivery_status

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
    message_id = request.GET.get("m", "")
    record_delivery_status(
        message_id=int(message_id) if message_id.isdigit() else None,
        sid=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request):
    if not signed_by_twilio(request):
        return HttpResponseForbidden()
    if not request.POST.get("MessageSid"):
        return HttpResponseBadRequest()
    receive_sms(
        sid=request.POST.get("MessageSid", ""),
        from_number=request.POST.get("From", ""),
        to_number=request.POST.get("To", ""),
        body=request.POST.get("Body", ""),
    )
    # Replies go through the outbox, not TwiML: quiet hours, opt-outs and retries apply.
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
