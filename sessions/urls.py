from django.urls import path

from sessions import views

app_name = "helpdesk_sessions"

urlpatterns = [
    path("classes/", views.classes, name="classes"),
    path("visits/", views.visits, name="visits"),
    path("visits/requests/", views.requests_list, name="requests"),
    path("visits/requests/<int:request_id>/", views.request_detail, name="request_detail"),
    path(
        "visits/requests/<int:request_id>/<str:action>/",
        views.change_request,
        name="change_request",
    ),
    path("visits/request/", views.request_visit, name="request"),
    path("visits/request/sent/<str:token>/", views.request_sent, name="request_sent"),
    path("visits/status/<str:token>/", views.request_status, name="request_status"),
    path("visits/status/<str:token>/cancel/", views.cancel_visit_request, name="request_cancel"),
    path("board/", views.board, name="board"),
    path("sessions/<int:session_id>/signup/", views.sign_up_for_session, name="sign_up"),
    path("sessions/<int:session_id>/waitlist/", views.join_session_waitlist, name="waitlist"),
    path("sessions/<int:session_id>/cancel/", views.cancel_session_shift, name="cancel"),
    path("offers/<int:shift_id>/", views.offer, name="offer"),
    path(
        "visits/invitations/<int:invitation_id>/",
        views.visit_invitation,
        name="visit_invitation",
    ),
    path("me/shifts/", views.my_shifts, name="my_shifts"),
    path("sessions/<int:session_id>/roster/", views.roster, name="roster"),
    path(
        "sessions/<int:session_id>/roster/<str:action>/",
        views.change_roster,
        name="change_roster",
    ),
    path("sessions/<int:session_id>/event.ics", views.session_event, name="event"),
    path("sessions/<int:session_id>/checkin-qr/", views.checkin_qr, name="checkin_qr"),
    path("checkin/<str:token>/", views.checkin, name="checkin"),
    path("venues/checkin-posters/", views.checkin_posters, name="checkin_posters"),
    path("venues/<int:venue_id>/checkin-poster/", views.checkin_poster, name="checkin_poster"),
]
