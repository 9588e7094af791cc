from datetime import timedelta

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext_lazy as _

from notifications.models import OutboundMessage
from notifications.services import BROADCAST_MAX_LENGTH, broadcast_recipients
from sessions.models import Session
from supporters.models import Skill, Supporter
from venues.models import District

# How far ahead the broadcast form lists sessions whose roster can be texted.
BROADCAST_SESSIONS_AHEAD = timedelta(days=90)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class OutboxFilterForm(forms.Form):
    """The outbox page's filters (GET): any left empty, or not valid, filters nothing."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *OutboundMessage.Status.choices],
        required=False,
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=[("", _("Any purpose")), *OutboundMessage.Purpose.choices],
        required=False,
    )
    date_from = forms.DateField(label=_("Queued from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Queued until"), required=False, widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and first > last:
            self.add_error("date_to", _("The last day must not be before the first."))
        return cleaned

    def filter(self, messages):
        """`messages` narrowed by the filters that are valid."""
        self.is_valid()
        return messages.matching(**getattr(self, "cleaned_data", {}))


class SessionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, session):
        local = timezone.localtime(session.starts_at)
        label = _("%(date)s %(time)s %(place)s · %(kind)s") % {
            "date": date_format(local, "SHORT_WEEKDAY_DATE_FORMAT"),
            "time": time_format(local, "SHORT_TIME_FORMAT"),
            "place": session.place_label,
            "kind": session.title or session.get_kind_display(),
        }
        if session.is_cancelled:
            return _("%(session)s (cancelled)") % {"session": label}
        return label


class SupporterChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, supporter):
        if supporter.district:
            return _("%(name)s (%(district)s)") % {
                "name": supporter,
                "district": supporter.district,
            }
        return str(supporter)


class BroadcastForm(forms.Form):
    """Who gets a coordinator's message, and the message. Each way of choosing adds people."""

    everyone = forms.BooleanField(label=_("Every active supporter"), required=False)
    districts = forms.ModelMultipleChoiceField(
        District.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Active supporters in these districts"),
    )
    skills = forms.ModelMultipleChoiceField(
        Skill.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Active supporters who help with"),
        help_text=_("With districts too: those in the districts who help with any of these."),
    )
    session = SessionChoiceField(
        Session.objects.none(),
        required=False,
        empty_label=_("No session"),
        label=_("Everyone on a session's roster"),
        help_text=_("Supporters with a place, an offered place or a place in line."),
    )
    supporters = SupporterChoiceField(
        Supporter.objects.exclude(status=Supporter.Status.WITHDRAWN).select_related("district"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        label=_("These supporters"),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    text = forms.CharField(
        label=_("Message"),
        max_length=BROADCAST_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Sent as you write it, signed by the office. In Japanese 70 characters make one "
            "message; a longer one goes in parts of 67, each billed."
        ),
    )
    # Set on the preview page: sending the same preview twice queues each text once.
    key = forms.CharField(
        required=False,
        max_length=40,
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.now()
        self.fields["session"].queryset = (
            Session.objects.not_ended()
            .filter(starts_at__lt=now + BROADCAST_SESSIONS_AHEAD)
            .select_related("venue")
            .order_by("starts_at", "pk")
        )

    def clean(self):
        cleaned = super().clean()
        chosen = ("everyone", "districts", "skills", "session", "supporters")
        if not self.errors and not any(cleaned.get(name) for name in chosen):
            raise forms.ValidationError(
                _(
                    "Choose who gets the message: everyone, districts or skills, a session's "
                    "roster, or supporters by name."
                ),
                code="no_one",
            )
        return cleaned

    def recipients(self):
        """The chosen supporters (a queryset), each once."""
        values = self.cleaned_data
        return broadcast_recipients(
            everyone=values["everyone"],
            districts=values["districts"],
            skills=values["skills"],
            session=values["session"],
            supporters=values["supporters"],
        )
