from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.fiscal import FiscalYear
from consultations.models import TALLY_AGE_BANDS, AgeBand, Device, Topic
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


class TallyForm(forms.Form):
    """One resident's question, in a few taps: every choice a large button (radio), the last
    choices given again for the next resident. `key` is this page's tap: sent twice, one entry."""

    MINUTES = [(5, "5"), (10, "10"), (15, "15"), (20, "20"), (30, "30"), (45, "45"), (60, "60")]

    topic = forms.ModelChoiceField(
        label=_("What did they ask about?"),
        queryset=Topic.objects.filter(is_active=True),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    device = forms.ChoiceField(label=_("Device"), choices=Device.choices, widget=forms.RadioSelect)
    age_band = forms.ChoiceField(
        label=_("Age"),
        choices=[(band.value, band.label) for band in TALLY_AGE_BANDS],
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    resolved = forms.TypedChoiceField(
        label=_("Solved?"),
        choices=[("yes", _("Solved")), ("no", _("Not solved"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    minutes = forms.TypedChoiceField(
        label=_("About how many minutes?"), choices=MINUTES, coerce=int, widget=forms.RadioSelect
    )
    key = forms.UUIDField(widget=forms.HiddenInput)


class CorrectionForm(forms.Form):
    """A coordinator corrects one recorded consultation: every choice, the older records' age
    bands too (`AgeBand`), the topic it has even when no longer offered."""

    topic = forms.ModelChoiceField(label=_("Topic"), queryset=Topic.objects.none())
    device = forms.ChoiceField(label=_("Device"), choices=Device.choices)
    age_band = forms.ChoiceField(label=_("Age"), choices=AgeBand.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    is_resolved = forms.TypedChoiceField(
        label=_("Solved?"),
        choices=[("yes", _("Solved")), ("no", _("Not solved"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=240)

    def __init__(self, *args, consultation, **kwargs):
        initial = {
            "topic": consultation.topic_id,
            "device": consultation.device,
            "age_band": consultation.age_band,
            "language": consultation.language,
            "is_resolved": "yes" if consultation.is_resolved else "no",
            "minutes": consultation.minutes,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["topic"].queryset = Topic.objects.filter(
            Q(is_active=True) | Q(pk=consultation.topic_id)
        )


# The annual report (issue 12) ---------------------------------------------------------------


def report_years(first: FiscalYear | None) -> list[FiscalYear]:
    """The fiscal years a report can be asked for: the first with records to the current one,
    latest first."""
    current = FiscalYear.current()
    first = min(first or current, current)
    return [FiscalYear(y) for y in range(current.start_year, first.start_year - 1, -1)]


class AnnualReportForm(forms.Form):
    """Which fiscal year's report to show (a GET form): the current one unless another is chosen."""

    fiscal_year = forms.TypedChoiceField(label=_("Fiscal year"), coerce=int, required=False)

    def __init__(self, *args, years: list[FiscalYear], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].choices = [(y.start_year, y.label) for y in years]
        self.fields["fiscal_year"].initial = years[0].start_year

    def chosen_year(self) -> FiscalYear:
        """The year asked for; the current one when none is, or the choice was not one."""
        if self.is_bound and self.is_valid() and self.cleaned_data["fiscal_year"]:
            return FiscalYear(self.cleaned_data["fiscal_year"])
        return FiscalYear.current()


class CloseYearForm(forms.Form):
    """A coordinator closes a fiscal year: its figures are published as they are now."""

    fiscal_year = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("I have checked the figures: publish them as this year's report"),
        help_text=_(
            "Once closed, the year's figures stay as they are now. A later correction to its "
            "records shows beside them as a difference; it never changes them."
        ),
    )
