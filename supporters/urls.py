from django.urls import path

from supporters import views

app_name = "supporters"

urlpatterns = [
    path("invitations/", views.invitations, name="invitations"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("join/<str:key>/", views.join, name="join"),
    path("join/<str:key>/code/", views.join_code, name="join_code"),
    path("me/tokens/", views.tokens, name="tokens"),
    path("me/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("me/availability/", views.availability, name="availability"),
    path("me/calendar/", views.calendar, name="calendar"),
    path("me/calendar/new-link/", views.regenerate_calendar, name="regenerate_calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    # Under /notifications/ since issue 4, where coordinators find it beside the outbox.
    path("notifications/broadcast/", views.broadcast, name="broadcast"),
]
