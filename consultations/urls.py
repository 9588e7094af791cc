from django.urls import path

from consultations import views

app_name = "consultations"

urlpatterns = [
    path("visits/requests/<int:request_id>/report/", views.visit_report, name="visit_report"),
    path("sessions/<int:session_id>/tally/", views.tally, name="tally"),
    path("sessions/<int:session_id>/tally/undo/", views.tally_undo, name="tally_undo"),
    path("sessions/<int:session_id>/tally/confirm/", views.tally_confirm, name="tally_confirm"),
    path("sessions/<int:session_id>/feedback/", views.feedback, name="feedback"),
]
