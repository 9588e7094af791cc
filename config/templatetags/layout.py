"""The layout's parts that are the same for everyone in the same role (base.html), from the
fragments cache (config/fragments.py).

`{% site_header %}`: the header, its menu and the language switcher. It reversed about twenty
URLs and translated as many strings on every page (issue 9); it depends only on the language,
the page's view (which link is current) and what the viewer may open, so it is kept under those,
with the request's path and CSRF token swapped in for placeholders after the fetch.
`{% site_footer %}`: the footer, the same for everyone in a language.
"""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from config.fragments import cached_fragment
from supporters.phones import format_national

register = template.Library()

# Stand for the request's own values in the cached header; they survive escaping.
PATH_PLACEHOLDER = "__header-full-path__"
CSRF_PLACEHOLDER = "__header-csrf-token__"


@register.simple_tag(takes_context=True)
def site_header(context):
    request = context.get("request")
    if request is None:  # a page rendered without a request: nothing to key by
        return render_to_string("_header.html", context.flatten())
    user = context.get("user")
    signed_in = bool(user and user.is_authenticated)
    match = request.resolver_match
    shown = (
        match.view_name if match else "",
        signed_in,
        bool(context.get("current_supporter")),
        bool(context.get("is_coordinator")),
        bool(signed_in and user.is_staff),
        context.get("LANGUAGE_CODE"),
        tuple(context.get("LANGUAGES") or ()),
    )
    html = cached_fragment(
        "site-header",
        shown,
        lambda: render_to_string(
            "_header.html",
            {
                **context.flatten(),
                "request": _Placeholders(match),
                "csrf_token": CSRF_PLACEHOLDER,
            },
        ),
    )
    html = html.replace(PATH_PLACEHOLDER, escape(request.get_full_path()))
    html = html.replace(CSRF_PLACEHOLDER, escape(str(context.get("csrf_token"))))
    # Our own template's output, escaped as it renders; the swapped-in values are escaped above.
    return mark_safe(html)


class _Placeholders:
    """What _header.html asks of the request, with the path left to fill in."""

    def __init__(self, resolver_match):
        self.resolver_match = resolver_match

    def get_full_path(self):
        return PATH_PLACEHOLDER


@register.simple_tag
def site_footer():
    return cached_fragment("site-footer", (), lambda: render_to_string("_footer.html"))


@register.simple_tag
def city_phone_link():
    """The number to call (settings.CITY_PHONE) as a link a phone dials: 027-224-1111."""
    phone = settings.CITY_PHONE
    return format_html('<a class="phone-link" href="tel:{}">{}</a>', phone, format_national(phone))
