"""Fill existing users' participant keys from their phone numbers (issue 12)."""

from django.db import migrations

import supporters.phones


def fill_participant_keys(apps, schema_editor):
    users = apps.get_model("supporters", "User")
    for user in users.objects.exclude(phone=""):
        user.participant_key = supporters.phones.participant_key_of(user.phone)
        user.save(update_fields=["participant_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("supporters", "0007_user_participant_key"),
    ]

    operations = [
        migrations.RunPython(fill_participant_keys, migrations.RunPython.noop),
    ]
