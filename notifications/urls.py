from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("twilio/status", views.twilio_status, name="twilio_status"),
    path("twilio/inbound", views.twilio_inbound, name="twilio_inbound"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:message_id>/retry/", views.outbox_retry, name="retry"),
    path("inbound/", views.inbound, name="inbound"),
    path("inbound/<int:message_id>/read/", views.inbound_read, name="mark_read"),
]
