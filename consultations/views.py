from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from config.errors import ServiceError
from consultations.forms import VisitReportForm
from consultations.services import file_visit_report, may_report
from sessions.models import DispatchRequest, Shift


@login_required
def visit_report(request, request_id):
    """The lead supporter (on their phone, after the visit) or a coordinator files a visit's
    report; filing again corrects it."""
    dispatch_request = get_object_or_404(
        DispatchRequest.objects.select_related("session__venue", "session__district"),
        pk=request_id,
    )
    if not may_report(request.user, dispatch_request):
        raise PermissionDenied
    session = dispatch_request.session
    team = list(
        Shift.objects.filter(session=session, status__in=Shift.TEAM_STATUSES)
        .select_related("supporter")
        .order_by("role", "pk")
    )
    report = getattr(session, "report", None)
    initial = {
        "participants": report.participants if report else dispatch_request.residents_count,
        "topics": list(report.topics.all()) if report else list(dispatch_request.topics.all()),
        "devices": report.devices if report else dispatch_request.devices,
        "notes": report.notes if report else "",
        "attended": [
            str(shift.supporter_id) for shift in team if shift.status != Shift.Status.NO_SHOW
        ],
    }
    form = VisitReportForm(request.POST or None, team=team, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            file_visit_report(
                dispatch_request,
                participants=data["participants"],
                topics=data["topics"],
                devices=data["devices"],
                notes=data["notes"],
                attended=data["attended"],
                by=request.user,
            )
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("Thank you: the visit's report is filed."))
            if request.user.is_coordinator:
                return redirect("helpdesk_sessions:request_detail", request_id=dispatch_request.pk)
            return redirect("helpdesk_sessions:my_shifts")
    context = {"dispatch_request": dispatch_request, "session": session, "form": form}
    return render(request, "consultations/visit_report.html", context)
