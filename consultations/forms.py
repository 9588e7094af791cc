from django import forms
from django.utils.translation import gettext_lazy as _

from consultations.models import Topic
from sessions.models import DispatchRequest


class VisitReportForm(forms.Form):
    """After a group visit: what the annual figures count, and nothing that names a resident."""

    participants = forms.IntegerField(
        label=_("Residents who came"), min_value=0, max_value=500, widget=forms.NumberInput
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics covered"),
        queryset=Topic.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    devices = forms.MultipleChoiceField(
        label=_("Devices the residents used"),
        choices=DispatchRequest.Device.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    attended = forms.MultipleChoiceField(
        label=_("Supporters who came"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What went well, what to follow up. No names, please."),
    )

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [
            (str(shift.supporter_id), shift.supporter.full_name) for shift in team
        ]
