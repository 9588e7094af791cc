"""Issue 11: residents register for classes themselves, with a status link, offers of freed
seats, call-backs for landlines, and a participant key that outlives the personal data.

The status token is added without a default first (every existing row would get the same one),
then given its default for new rows: registrations entered before have no status link. Their
participant keys are filled from their phone numbers at the end.
"""

import django.db.models.deletion
import sessions.models.requests
from django.conf import settings
from django.db import migrations, models


def fill_participant_keys(apps, schema_editor):
    registrations = apps.get_model("helpdesk_sessions", "ClassRegistration")
    for registration in registrations.objects.filter(participant_key="").exclude(phone=""):
        registration.participant_key = sessions.models.requests.participant_key_of(
            registration.phone
        )
        registration.save(update_fields=["participant_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk_sessions", "0007_class_levels_organisers_series"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="classregistration",
            name="registration_one_per_phone",
        ),
        migrations.RemoveConstraint(
            model_name="classregistration",
            name="registration_status_valid",
        ),
        migrations.AddField(
            model_name="classregistration",
            name="call_back_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="call back since"),
        ),
        migrations.AddField(
            model_name="classregistration",
            name="called_back_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="called back at"),
        ),
        migrations.AddField(
            model_name="classregistration",
            name="consent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="consent given at"),
        ),
        migrations.AddField(
            model_name="classregistration",
            name="entered_by",
            field=models.ForeignKey(
                blank=True,
                help_text="The coordinator who took the registration by phone.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="entered by",
            ),
        ),
        migrations.AddField(
            model_name="classregistration",
            name="offer_expires_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="offer open until"),
        ),
        migrations.AddField(
            model_name="classregistration",
            name="participant_key",
            field=models.CharField(
                blank=True,
                db_index=True,
                editable=False,
                max_length=64,
                verbose_name="participant key",
            ),
        ),
        migrations.AddField(
            model_name="classregistration",
            name="purged_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="personal data removed at"
            ),
        ),
        migrations.AddField(
            model_name="classregistration",
            name="status_token",
            field=models.CharField(
                editable=False,
                max_length=64,
                null=True,
                unique=True,
                verbose_name="status link key",
            ),
        ),
        migrations.AlterField(
            model_name="classregistration",
            name="status_token",
            field=models.CharField(
                default=sessions.models.requests.new_status_token,
                editable=False,
                max_length=64,
                null=True,
                unique=True,
                verbose_name="status link key",
            ),
        ),
        migrations.AlterField(
            model_name="classregistration",
            name="status",
            field=models.CharField(
                choices=[
                    ("registered", "Registered"),
                    ("offered", "Offered a seat"),
                    ("waitlisted", "On the waiting list"),
                    ("cancelled", "Cancelled"),
                    ("attended", "Attended"),
                ],
                default="registered",
                max_length=12,
                verbose_name="status",
            ),
        ),
        migrations.AddConstraint(
            model_name="classregistration",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    models.Q(("status", "cancelled"), _negated=True), ("purged_at__isnull", True)
                ),
                fields=("session", "phone"),
                name="registration_one_per_phone",
                violation_error_message="This phone number is already registered for this class.",
            ),
        ),
        migrations.AddConstraint(
            model_name="classregistration",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["registered", "offered", "waitlisted", "cancelled", "attended"])
                ),
                name="registration_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="classregistration",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "offered"), _negated=True),
                    ("offer_expires_at__isnull", False),
                    ("call_back_since__isnull", False),
                    _connector="OR",
                ),
                name="registration_offer_has_deadline_or_call",
            ),
        ),
        migrations.AddConstraint(
            model_name="classregistration",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("purged_at__isnull", False),
                    models.Q(
                        models.Q(("phone", ""), _negated=True),
                        models.Q(("name", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="registration_has_contact",
                violation_error_message="Give the registrant's name and phone number.",
            ),
        ),
        migrations.RunPython(fill_participant_keys, migrations.RunPython.noop),
    ]
