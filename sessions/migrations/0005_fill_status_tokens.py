import secrets

from django.db import migrations


def fill_status_tokens(apps, schema_editor):
    """Each existing request gets its own status-link key before the key becomes unique."""
    DispatchRequest = apps.get_model("helpdesk_sessions", "DispatchRequest")
    for request in DispatchRequest.objects.only("pk"):
        request.status_token = secrets.token_urlsafe(24)
        request.save(update_fields=["status_token"])


class Migration(migrations.Migration):
    dependencies = [("helpdesk_sessions", "0004_dispatch_journey")]

    operations = [migrations.RunPython(fill_status_tokens, migrations.RunPython.noop)]
