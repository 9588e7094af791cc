"""Checks that a page's forms carry the visitor's own CSRF token.

Each `get_token()` call masks the secret afresh, so two forms on a page may carry different
strings for the same secret: what must hold is that each one unmasks to this visitor's secret,
never a placeholder or another visitor's.
"""

import re

from django.middleware.csrf import _unmask_cipher_token

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def assert_forms_carry_the_visitors_token(response, html: str | None = None) -> list[str]:
    tokens = TOKEN.findall(response.content.decode() if html is None else html)
    secret = response.wsgi_request.META["CSRF_COOKIE"]
    assert tokens, "no form with a CSRF token"
    assert all(_unmask_cipher_token(token) == secret for token in tokens), tokens
    return tokens
