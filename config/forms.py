"""How every form of digisapo draws its fields: one template for a field, one for a whole form.

`{{ form }}` and `{{ field.as_field_group }}` both end in config/templates/forms/field.html, so a
label, its help text, the errors and a checkbox look (and are announced) the same on every page.
"""

from django.forms.renderers import DjangoTemplates


class FormRenderer(DjangoTemplates):
    # DjangoTemplates finds templates in the installed apps (config among them) and in Django's
    # own form templates (widgets, error lists), whatever TEMPLATES says.
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
