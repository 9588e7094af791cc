from django import forms
from django.utils.translation import gettext_lazy as _

from config.inputs import DateFilterField
from notifications.models import InboundMessage, OutboundMessage


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _column_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class TwilioStatusForm(forms.Form):
    """A delivery report's fields, held to the outbox's columns (and free of NUL characters):
    anything else is refused, never stored in part or turned into a server error."""

    MessageSid = forms.CharField(
        max_length=_column_length(OutboundMessage, "provider_id"), required=False, strip=False
    )
    MessageStatus = forms.CharField(max_length=20, required=False, strip=False)
    ErrorCode = forms.CharField(
        max_length=_column_length(OutboundMessage, "error_code"), required=False, strip=False
    )


class TwilioInboundForm(forms.Form):
    """An incoming text's fields, held to the columns they are stored in (a `From` of
    `whatsapp:+81…` is longer than a phone number's)."""

    MessageSid = forms.CharField(
        max_length=_column_length(InboundMessage, "provider_id"), strip=False
    )
    From = forms.CharField(
        max_length=_column_length(InboundMessage, "from_number"), required=False, strip=False
    )
    To = forms.CharField(
        max_length=_column_length(InboundMessage, "to_number"), required=False, strip=False
    )
    Body = forms.CharField(required=False, strip=False)


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
    date_from = DateFilterField(label=_("Queued from"), required=False, widget=DateInput())
    date_to = DateFilterField(label=_("Queued until"), required=False, widget=DateInput())

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
