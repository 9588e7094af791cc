from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import OutboundMessage


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
