"""Every form of the site draws its fields with one template (config/templates/forms/field.html):
a label whose `for` names the input, help text and errors linked by aria-describedby, a checkbox
left of its label, a group of choices in a fieldset. Each page with a form is checked here."""

from html.parser import HTMLParser

import pytest
from django import forms
from django.urls import reverse

from sessions.forms import BoardFilterForm
from tests import factories

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# Inputs that are no form's field: the language menu, a roster row's role, and read-only copies
# of a link or a token to select and copy.
NOT_FORM_FIELDS = {"language-select", "feed-url", "new-token", "invitation-link"}


class FieldGroups(HTMLParser):
    """Each field a person fills in, with the elements around it; labels, ids, describedby."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open = []  # (tag, attrs) from the root to the current element
        self.fields = []  # (attrs, ancestors)
        self.labels = {}  # for -> ancestors of the label
        self.elements = {}  # id -> (tag, classes)
        self.classes = []  # every class attribute's words
        self.described = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        self.classes += classes
        if attrs.get("id"):
            self.elements[attrs["id"]] = (tag, classes)
        self.described |= set((attrs.get("aria-describedby") or "").split())
        if tag == "label" and attrs.get("for"):
            self.labels[attrs["for"]] = list(self.open)
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {
            "hidden",
            "submit",
            "button",
        }:
            self.fields.append((attrs, list(self.open)))
        if tag not in VOID:
            self.open.append((tag, classes))

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                break


def field_groups(response) -> FieldGroups:
    assert response.status_code == 200, response.content[:300]
    parser = FieldGroups()
    parser.feed(response.content.decode())
    return parser


def assert_drawn_by_the_field_template(response):
    page = field_groups(response)
    fields = [
        (attrs, ancestors)
        for attrs, ancestors in page.fields
        if attrs.get("id") not in NOT_FORM_FIELDS and not attrs.get("id", "").startswith("role-")
    ]
    assert fields, "the page shows no form field"
    for attrs, ancestors in fields:
        groups = [classes for tag, classes in ancestors if "field" in classes]
        assert groups, f"{attrs.get('name')} is outside a field group"
        in_fieldset = any(tag == "fieldset" for tag, _classes in ancestors)
        assert attrs["id"] in page.labels or in_fieldset, f"{attrs['name']} has no label"
        if attrs.get("type") == "checkbox" and not in_fieldset:
            assert "field__check" in ancestors[-1][1], f"{attrs['name']}: not the checkbox row"
        for described_by in (attrs.get("aria-describedby") or "").split():
            assert described_by in page.elements, f"{attrs['name']} points to no {described_by}"
    # Help texts and errors are each announced with their input.
    for element_id, (_tag, classes) in page.elements.items():
        if "field__help" in classes or ("errorlist" in classes and element_id.endswith("_error")):
            assert element_id in page.described, f"{element_id} is linked to no input"
    assert "helptext" not in page.classes  # the second help-text class, gone
    return page


def test_every_form_uses_the_project_field_template(db):
    form = BoardFilterForm()
    assert form.renderer.field_template_name == "forms/field.html"
    assert 'class="field' in form["venue"].as_field_group()


def test_a_field_group_links_help_text_and_errors_to_its_input():
    class Example(forms.Form):
        name = forms.CharField(label="Name", help_text="What the token is for")
        agree = forms.BooleanField(label="I agree")

    html = str(Example(data={}))
    assert '<label for="id_name">Name</label>' in html
    assert '<div class="field__help" id="id_name_helptext">What the token is for</div>' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'class="field field--error"' in html
    assert (
        '<div class="field__check"><input type="checkbox" name="agree" required '
        'aria-invalid="true" aria-describedby="id_agree_error" id="id_agree">'
        '<label for="id_agree">I agree</label></div>'
    ) in html


@pytest.mark.parametrize(
    "url",
    [
        reverse("helpdesk_sessions:board"),
        reverse("helpdesk_sessions:board") + "?date_from=not-a-date",
        reverse("notifications:outbox"),
        reverse("notifications:outbox") + "?date_from=not-a-date",
        reverse("supporters:broadcast"),
        reverse("supporters:invitations"),
        reverse("supporters:tokens"),
    ],
)
def test_coordinator_pages_draw_fields_with_the_one_template(coordinator_client, url):
    factories.session()
    factories.supporter()
    assert_drawn_by_the_field_template(coordinator_client.get(url))


def test_forms_sent_back_with_errors_link_them_to_their_fields(coordinator_client):
    for url in (reverse("supporters:invitations"), reverse("supporters:broadcast")):
        page = assert_drawn_by_the_field_template(coordinator_client.post(url, {"step": "preview"}))
        assert "errorlist" in page.classes


def test_the_roster_search_draws_its_field_with_the_one_template(coordinator_client):
    session = factories.session()
    url = reverse("helpdesk_sessions:roster", args=[session.pk])
    page = assert_drawn_by_the_field_template(coordinator_client.get(url, {"q": "赤城"}))
    assert "id_q_helptext" in page.described


@pytest.mark.parametrize(
    "name", ["helpdesk_sessions:board", "supporters:tokens", "account_change_phone"]
)
def test_supporter_pages_draw_fields_with_the_one_template(supporter_client, name):
    page = assert_drawn_by_the_field_template(supporter_client.get(reverse(name)))
    if name == "account_change_phone":
        assert "id_phone_helptext" in page.described


@pytest.mark.parametrize(
    "name", ["account_login", "account_request_login_code", "account_reset_password"]
)
def test_sign_in_pages_draw_fields_with_the_one_template(client, db, name):
    assert_drawn_by_the_field_template(client.get(reverse(name)))


def test_the_code_pages_draw_fields_with_the_one_template(client, db):
    supporter = factories.supporter()
    client.post(reverse("account_request_login_code"), {"phone": supporter.user.phone})
    assert_drawn_by_the_field_template(client.get(reverse("account_confirm_login_code")))

    invitation = factories.invitation(phone="+819087654321")
    assert_drawn_by_the_field_template(
        client.get(reverse("supporters:join", args=[invitation.key]))
    )
    client.post(
        reverse("supporters:join", args=[invitation.key]),
        {"family_name": "赤城", "given_name": "次郎", "phone": "090-8765-4321"},
    )
    assert_drawn_by_the_field_template(
        client.get(reverse("supporters:join_code", args=[invitation.key]))
    )
