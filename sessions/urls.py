from django.urls import path

from sessions import views

app_name = "helpdesk_sessions"

urlpatterns = [
    path("classes/", views.classes, name="classes"),
    path("visits/", views.visits, name="visits"),
    path("sessions/<int:session_id>/event.ics", views.session_event, name="event"),
    path("sessions/<int:session_id>/checkin-qr/", views.checkin_qr, name="checkin_qr"),
    path("checkin/<str:token>/", views.checkin, name="checkin"),
    path("venues/checkin-posters/", views.checkin_posters, name="checkin_posters"),
    path("venues/<int:venue_id>/checkin-poster/", views.checkin_poster, name="checkin_poster"),
]
