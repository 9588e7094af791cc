from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from config import views
from config.api import api
from config.i18n import set_language

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Before sessions': a visit's report sits under its request's pages.
    path("", include("consultations.urls")),
    path("", include("sessions.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("allauth.urls")),
    path("", include("supporters.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

admin.site.site_header = settings.APP_NAME
admin.site.site_title = settings.APP_NAME
admin.site.index_title = settings.APP_NAME
