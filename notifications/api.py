"""The coordinators' outbox and incoming texts, mounted at /api/notifications (broadcasts,
a supporters' feature, are mounted beside them from `supporters.api`).

Coordinators only: anyone else signed in gets 403, nobody signed in 401. The pages in
`notifications.views` call the same services.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from ninja import Query, Router
from ninja.pagination import paginate

from config.errors import ErrorOut
from config.inputs import Pagination
from notifications.models import InboundMessage, OutboundMessage
from notifications.schemas import (
    InboundFilters,
    InboundMessageOut,
    OutboxFilters,
    OutboxMessageOut,
    SummaryOut,
)
from notifications.services import (
    mark_read,
    outbox_summary,
    retry_message,
    usage_by_month,
)
from supporters.access import coordinator_token_or_session

router = Router(tags=["notifications"], auth=coordinator_token_or_session)

PAGE_SIZE = 50
REFUSED = {401: ErrorOut, 403: ErrorOut}
PAGED = (
    f"Paged: `?page=` (from 1) and `?page_size=` (at most {PAGE_SIZE}, the default); the "
    'response is `{"items": [...], "count": N}`.'
)


@router.get(
    "/outbox",
    response={200: list[OutboxMessageOut], **REFUSED, 422: ErrorOut},
    summary="List the outbox",
    description=f"Every text the app sent or will send, newest queued first. {PAGED}",
)
@paginate(Pagination, page_size=PAGE_SIZE, max_page_size=PAGE_SIZE)
def list_outbox(request, filters: Query[OutboxFilters]):
    return (
        OutboundMessage.objects.with_recipient_name()
        .matching(**filters.dict())
        .order_by("-created_at", "-pk")
    )


@router.post(
    "/outbox/{message_id}/retry",
    response={200: OutboxMessageOut, **REFUSED, 404: ErrorOut, 409: ErrorOut},
    summary="Send a failed text again",
    description="Queues a failed or unknown (needs checking) text again, due now "
    "(`not_retryable`, 409: it is neither, or it is a sign-in code). Opt-outs are checked again "
    "when it is sent.",
)
def retry_outbox_message(request, message_id: int):
    retry_message(get_object_or_404(OutboundMessage, pk=message_id))
    return OutboundMessage.objects.with_recipient_name().get(pk=message_id)


@router.get(
    "/inbound",
    response={200: list[InboundMessageOut], **REFUSED, 422: ErrorOut},
    summary="List incoming texts",
    description=f"Texts people sent, those still to read first, then newest first. {PAGED}",
)
@paginate(Pagination, page_size=PAGE_SIZE, max_page_size=PAGE_SIZE)
def list_inbound(request, filters: Query[InboundFilters]):
    texts = InboundMessage.objects.with_sender_name().unread_first()
    if filters.unread is not None:
        texts = texts.filter(is_read=not filters.unread)
    return texts


@router.post(
    "/inbound/{message_id}/read",
    response={200: InboundMessageOut, **REFUSED, 404: ErrorOut},
    summary="Mark an incoming text as read",
)
def read_inbound_message(request, message_id: int):
    mark_read(InboundMessage.objects.filter(pk=get_object_or_404(InboundMessage, pk=message_id).pk))
    return InboundMessage.objects.with_sender_name().get(pk=message_id)


@router.get(
    "/summary",
    response={200: SummaryOut, **REFUSED},
    url_name="notifications_summary",
    summary="Show the queue and the texts per month",
    description="The queue now, and texts, parts and estimated cost per month sent.",
)
def summary(request):
    queue = outbox_summary()
    age = queue.pop("oldest_due_age")
    queue["oldest_due_seconds"] = int(age.total_seconds()) if age is not None else None
    return {
        "queue": queue,
        "months": usage_by_month(),
        "price_per_segment": settings.SMS_PRICE_PER_SEGMENT,
    }
