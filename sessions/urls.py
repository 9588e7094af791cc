from django.urls import path

from sessions.views import (
    class_desk,
    classes,
    cover,
    public,
    requests,
    schedules,
    shifts,
    venues,
)

app_name = "helpdesk_sessions"

urlpatterns = [
    path("classes/manage/", class_desk.class_desk, name="class_desk"),
    path("classes/manage/new/", class_desk.class_new, name="class_new"),
    path("classes/manage/series/new/", class_desk.class_series_new, name="class_series_new"),
    path("classes/manage/<int:session_id>/", class_desk.class_roster, name="class_roster"),
    path("classes/manage/<int:session_id>/edit/", class_desk.class_edit, name="class_edit"),
    path(
        "classes/manage/<int:session_id>/attendance/",
        class_desk.class_attendance,
        name="class_attendance",
    ),
    path("classes/manage/<int:session_id>/call/", class_desk.class_call, name="class_call"),
    path("classes/", classes.classes, name="classes"),
    path("classes/<int:session_id>/", classes.class_detail, name="class_detail"),
    path("classes/<int:session_id>/register/", classes.class_register, name="class_register"),
    path(
        "classes/registrations/<str:token>/",
        classes.class_registration,
        name="class_registration",
    ),
    path("classes/registrations/<str:token>/sent/", classes.class_sent, name="class_sent"),
    path(
        "classes/registrations/<str:token>/accept/",
        classes.accept_class_seat,
        name="class_registration_accept",
    ),
    path(
        "classes/registrations/<str:token>/cancel/",
        classes.cancel_class_registration,
        name="class_registration_cancel",
    ),
    path("visits/", public.visits, name="visits"),
    path("visits/requests/", requests.requests_list, name="requests"),
    path("visits/requests/<int:request_id>/", requests.request_detail, name="request_detail"),
    path(
        "visits/requests/<int:request_id>/<str:action>/",
        requests.change_request,
        name="change_request",
    ),
    path("visits/request/", requests.request_visit, name="request"),
    path("visits/request/sent/<str:token>/", requests.request_sent, name="request_sent"),
    path("visits/status/<str:token>/", requests.request_status, name="request_status"),
    path("visits/status/<str:token>/cancel/", requests.cancel_visit_request, name="request_cancel"),
    path("board/", shifts.board, name="board"),
    path("sessions/<int:session_id>/signup/", shifts.sign_up_for_session, name="sign_up"),
    path("sessions/<int:session_id>/waitlist/", shifts.join_session_waitlist, name="waitlist"),
    path("sessions/<int:session_id>/cancel/", shifts.cancel_session_shift, name="cancel"),
    path("offers/<int:shift_id>/", shifts.offer, name="offer"),
    path(
        "visits/invitations/<int:invitation_id>/",
        shifts.visit_invitation,
        name="visit_invitation",
    ),
    path("me/shifts/", shifts.my_shifts, name="my_shifts"),
    path("me/certificate/", shifts.my_certificate, name="my_certificate"),
    path(
        "supporters/<int:supporter_id>/certificate/",
        shifts.supporter_certificate,
        name="supporter_certificate",
    ),
    # Cover requests (issue 13).
    path("me/shifts/<int:shift_id>/cover/", cover.ask_for_cover, name="ask_for_cover"),
    path(
        "me/shifts/<int:shift_id>/cover/cancel/",
        cover.cancel_cover_request,
        name="cancel_cover",
    ),
    path("cover/<str:token>/", cover.cover, name="cover"),
    path("sessions/<int:session_id>/roster/", shifts.roster, name="roster"),
    path(
        "sessions/<int:session_id>/roster/<str:action>/",
        shifts.change_roster,
        name="change_roster",
    ),
    path("sessions/<int:session_id>/event.ics", shifts.session_event, name="event"),
    path("sessions/<int:session_id>/checkin-qr/", shifts.checkin_qr, name="checkin_qr"),
    path("checkin/<str:token>/", shifts.checkin, name="checkin"),
    path("venues/checkin-posters/", shifts.checkin_posters, name="checkin_posters"),
    path("venues/<int:venue_id>/checkin-poster/", shifts.checkin_poster, name="checkin_poster"),
    # Help-desk schedules and the public venue pages (issue 11).
    path("venues/", venues.venues, name="venues"),
    path("venues/<int:venue_id>/", venues.venue, name="venue"),
    path("venues/<int:venue_id>/print/", venues.venue_print, name="venue_print"),
    path("schedules/", schedules.schedules, name="schedules"),
    path("schedules/new/", schedules.schedule_new, name="schedule_new"),
    path("schedules/<int:schedule_id>/", schedules.schedule, name="schedule"),
    path(
        "schedules/<int:schedule_id>/generate/",
        schedules.schedule_generate,
        name="schedule_generate",
    ),
    path("sessions/<int:session_id>/call-off/", schedules.call_off, name="call_off"),
]
