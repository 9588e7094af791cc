from django.urls import path

from consultations import views

app_name = "consultations"

urlpatterns = [
    path("visits/requests/<int:request_id>/report/", views.visit_report, name="visit_report"),
    path("sessions/<int:session_id>/tally/", views.tally, name="tally"),
    path("sessions/<int:session_id>/tally/undo/", views.tally_undo, name="tally_undo"),
    path("sessions/<int:session_id>/tally/confirm/", views.tally_confirm, name="tally_confirm"),
    path("sessions/<int:session_id>/tally/records/", views.tally_records, name="tally_records"),
    path(
        "sessions/<int:session_id>/tally/records/<int:consultation_id>/",
        views.tally_record_edit,
        name="tally_record_edit",
    ),
    path(
        "sessions/<int:session_id>/tally/records/<int:consultation_id>/remove/",
        views.tally_record_remove,
        name="tally_record_remove",
    ),
    path(
        "sessions/<int:session_id>/tally/records/<int:consultation_id>/restore/",
        views.tally_record_restore,
        name="tally_record_restore",
    ),
    path("sessions/<int:session_id>/feedback/", views.feedback, name="feedback"),
    path("stats/annual/", views.annual_report, name="annual_report"),
    path("stats/annual/print/", views.annual_report_print, name="annual_report_print"),
    path("sessions/<int:session_id>/feedback/card/", views.feedback_card, name="feedback_card"),
]
