from django.urls import path

from supporters import views

app_name = "supporters"

urlpatterns = [
    path("me/tokens/", views.tokens, name="tokens"),
    path("me/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("me/calendar/", views.calendar, name="calendar"),
    path("me/calendar/new-link/", views.regenerate_calendar, name="regenerate_calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
