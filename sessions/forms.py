from datetime import timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.fragments import cached_fragment
from config.inputs import DateFilterField
from sessions.models import Session, Shift
from supporters.models import Supporter
from venues.models import District, Venue

# The board shows two weeks at a time unless asked for other dates: a year of sessions stays fast.
BOARD_WINDOW = timedelta(days=14)


def date_input():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class BoardFilterForm(forms.Form):
    """The shift board's filters: a GET form, so the page and its links work without JS."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Session.Kind.choices], required=False
    )
    venue = forms.ModelChoiceField(
        label=_("Venue"),
        queryset=Venue.objects.active(),
        required=False,
        empty_label=_("All venues"),
    )
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All districts"),
    )
    date_from = DateFilterField(label=_("From"), required=False, widget=date_input())
    date_to = DateFilterField(label=_("To"), required=False, widget=date_input())
    needed = forms.BooleanField(label=_("Only where I'm needed"), required=False)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned

    def html(self):
        """The form drawn. Unbound (the board as first opened) it is the same for everyone in a
        language, so it comes from the fragments cache, keyed by the venues and districts it
        offers: drawing its selects' options was a fifth of the board's time (issue 9)."""
        if self.is_bound:
            return self.render()
        shown = [
            [(str(value), str(label)) for value, label in self.fields[name].choices]
            for name in ("venue", "district")
        ]
        return cached_fragment("board-filters", shown, self.render)

    def filters(self) -> dict:
        """Keyword arguments for `Session.objects.board()`: the dates default to two weeks from
        today, and invalid input counts as not given."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        first = data.get("date_from") or timezone.localdate()
        return {
            "kind": data.get("kind", ""),
            "venue": data.get("venue"),
            "district": data["district"].code if data.get("district") else "",
            "first": first,
            "last": data.get("date_to") or first + BOARD_WINDOW - timedelta(days=1),
            "needed": data.get("needed", False),
        }


class RosterSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find a supporter"),
        help_text=_("Family or given name, in kanji or kana."),
        max_length=100,
        required=False,
    )

    def supporters(self, session, limit: int = 20):
        """Active supporters matching every word typed, not on the session already."""
        if not self.is_valid() or not self.cleaned_data["q"].strip():
            return Supporter.objects.none()
        supporters = Supporter.objects.active().exclude(
            shifts__in=Shift.objects.active().filter(session=session)
        )
        for word in self.cleaned_data["q"].replace("\u3000", " ").split():
            supporters = supporters.filter(
                Q(family_name__icontains=word)
                | Q(given_name__icontains=word)
                | Q(family_name_kana__icontains=word)
                | Q(given_name_kana__icontains=word)
            )
        return supporters.select_related("user")[:limit]


class RosterChangeForm(forms.Form):
    """Which supporter a coordinator adds, removes or marks, and how."""

    supporter = forms.ModelChoiceField(queryset=Supporter.objects.all(), widget=forms.HiddenInput)
    role = forms.ChoiceField(
        label=_("Role"), choices=Shift.Role.choices, initial=Shift.Role.HELPER, required=False
    )
    status = forms.ChoiceField(
        label=_("Attendance"),
        choices=[(Shift.Status.ATTENDED, _("Attended")), (Shift.Status.NO_SHOW, _("Did not come"))],
        required=False,
    )
