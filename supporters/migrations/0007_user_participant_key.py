"""Issue 12: the participant key on users, so the annual report can follow class participants
who became supporters (0008 fills it for existing users)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supporters", "0006_availability"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="participant_key",
            field=models.CharField(
                blank=True,
                db_index=True,
                editable=False,
                max_length=64,
                verbose_name="participant key",
            ),
        ),
    ]
