"""The apps import each other only downward, in the order docs/architecture.md gives, and
notifications, the outbox layer, knows no domain app (issue 8). Read with `ast` from the source,
function-level imports included, so an import hidden in a function counts too."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The layers, lowest first: a module may import its own app and any app in a lower layer.
# Identity (the user model, phone helpers, access checks) is the one thing everyone may import.
IDENTITY = ("supporters.models", "supporters.phones", "supporters.auth", "supporters.access")
LAYERS = ["identity", "notifications", "venues", "supporters", "sessions", "consultations"]
APPS = ["notifications", "venues", "supporters", "sessions", "consultations"]

# What notifications may take from supporters.models: the user model and the coordinators'
# permission, never the supporter's profile.
IDENTITY_NAMES = {"User", "COORDINATE_PERMISSION", "COORDINATORS_GROUP"}

# Upward imports that exist today, each with where it should go. A new one fails the test; one
# that is gone must be taken off this list.
KNOWN_UPWARD = {
    # A supporter's own shifts and calendar feed are pages of supporters showing sessions'
    # rows: they belong with sessions.
    ("supporters.api", "sessions"),
    ("supporters.views", "sessions"),
    # A broadcast may go to everyone on a session's roster.
    ("supporters.broadcasts", "sessions"),
    ("supporters.forms", "sessions"),
    # A venue's admin page and its API show the venue's sessions (its next help-desk dates
    # are session rows, one source for the home page and the API): callers at the top.
    ("venues.api", "sessions"),
    ("venues.admin", "sessions"),
    # The session's report (consultations) is edited inline on the session's admin page.
    ("sessions.admin", "consultations"),
}


def modules(app: str):
    """(dotted name, path) of every module of `app` but its migrations."""
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        if "migrations" in relative.parts:
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        yield ".".join(parts), path


def imports(path: Path):
    """(imported module, names) for every import statement in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = tuple(alias.name for alias in node.names)
            if node.module in APPS:  # `from supporters import texts`: the modules themselves
                for name in names:
                    yield f"{node.module}.{name}", ()
            else:
                yield node.module, names


def app_of(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in APPS else None


def layer_of(module: str) -> int:
    if any(module == piece or module.startswith(piece + ".") for piece in IDENTITY):
        return LAYERS.index("identity")
    return LAYERS.index(app_of(module))


def cross_app_imports():
    """(importing module, imported module, names) across apps, for every app."""
    for app in APPS:
        for name, path in modules(app):
            for target, names in imports(path):
                if app_of(target) and app_of(target) != app:
                    yield name, target, names


def test_notifications_imports_no_domain_app():
    forbidden = [
        f"{module} imports {target}"
        for module, target, _names in cross_app_imports()
        if module.split(".")[0] == "notifications"
        and (app_of(target) in {"sessions", "venues", "consultations"} or layer_of(target) > 0)
    ]
    assert forbidden == []


def test_notifications_takes_only_the_user_model_from_supporters_models():
    taken = {
        name
        for module, target, names in cross_app_imports()
        if module.split(".")[0] == "notifications" and target == "supporters.models"
        for name in names
    }
    assert taken <= IDENTITY_NAMES, taken - IDENTITY_NAMES


def test_notifications_names_no_domain_model_in_strings_either():
    # apps.get_model("helpdesk_sessions", …), "sessions.Shift" in a lookup: a hidden import.
    hidden = []
    for module, path in modules("notifications"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if text.startswith(("helpdesk_sessions", "sessions.", "venues.", "consultations.")):
                    hidden.append(f"{module}: {text!r}")
    assert hidden == []


def test_the_apps_import_each_other_only_downward():
    upward = {
        (module, app_of(target))
        for module, target, _names in cross_app_imports()
        if layer_of(target) > layer_of(module)
        or (
            # Same layer, another app: no layer holds two apps but identity and supporters.
            layer_of(target) == layer_of(module) and app_of(target) != app_of(module)
        )
    }
    assert upward - KNOWN_UPWARD == set(), "new upward imports (see docs/architecture.md)"
    assert KNOWN_UPWARD - upward == set(), "gone: take them off KNOWN_UPWARD"


@pytest.mark.parametrize(
    ("module", "target"),
    [("notifications.services", "sessions.models"), ("venues.models", "sessions.models")],
)
def test_the_check_sees_an_import_inside_a_function(tmp_path, module, target):
    path = tmp_path / "example.py"
    path.write_text(f"def later():\n    from {target} import Shift\n", encoding="utf-8")
    assert (target, ("Shift",)) in list(imports(path))
    assert layer_of(target) > layer_of(module)


def test_the_order_is_the_one_documented():
    documented = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "identity → notifications → venues → supporters → sessions → consultations" in (
        documented
    )
