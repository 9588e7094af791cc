"""Reading rendered pages in tests: links, scripts and form fields, with the standard library."""

from html.parser import HTMLParser

FIELD_TAGS = {"input", "select", "textarea"}
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls = []  # every src, href and action
        self.label_targets = set()
        self.fields = []  # (tag, attrs) of fields a person fills in
        self.ids = set()
        self.tags = []  # (tag, attrs) of every element, in order

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in ("src", "href", "action"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        if tag == "label" and attrs.get("for"):
            self.label_targets.add(attrs["for"])
        if tag in FIELD_TAGS and attrs.get("type", "text") not in UNLABELLED_INPUT_TYPES:
            self.fields.append((tag, attrs))


def parse(response) -> PageParser:
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser


def third_party_urls(page: PageParser) -> list[str]:
    """URLs that would make the browser talk to another site (ours are all relative)."""
    return [
        url
        for url in page.urls
        if url.startswith(("http://", "https://", "//"))
        and not url.startswith("http://testserver/")
    ]


def unlabelled_fields(page: PageParser) -> list[dict]:
    return [
        attrs
        for _tag, attrs in page.fields
        if not (attrs.get("id") in page.label_targets or attrs.get("aria-label"))
    ]
