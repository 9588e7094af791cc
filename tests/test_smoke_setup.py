from tests import factories


def test_factories_make_valid_objects(db):
    shift = factories.shift()
    assert shift.session.places_left() == 1
    assert factories.consultation().session.status == "held"
    assert factories.class_registration().session.seats_left() == 9


def test_the_resident_persona_registers_and_requests_without_an_account(db, resident):
    registration = resident.registers_for(factories.session(kind="class"))
    request = resident.requests_a_visit()
    assert (registration.name, registration.phone) == (resident.name, resident.phone)
    assert (request.representative_name, request.representative_phone) == (
        resident.name,
        resident.phone,
    )


def test_the_shared_fixtures_are_defined_once_in_conftest():
    import re
    from pathlib import Path

    shared = (
        "monday_morning",
        "in_english",
        "_fast_passwords",
        "resident",
        "superuser",
        "staff_coordinator",
        "staff_client",
    )
    copies = [
        f"{path.name}: {name}"
        for path in Path(__file__).parent.rglob("test_*.py")
        for name in shared
        if re.search(rf"^def {name}\(", path.read_text(), re.MULTILINE)
    ]
    assert not copies, "defined again outside tests/conftest.py"


def test_the_clock_stops_on_a_monday_morning_in_tokyo(monday_morning):
    from django.utils import timezone

    now = timezone.localtime()
    assert (now.weekday(), now.hour, now.minute) == (0, 10, 0)
