from tests import factories


def test_factories_make_valid_objects(db):
    shift = factories.shift()
    assert shift.session.places_left() == 1
    assert factories.consultation().session.status == "held"
    assert factories.class_registration().session.seats_left() == 9
