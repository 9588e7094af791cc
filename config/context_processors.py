def roles(request):
    """What every template may ask about the signed-in person, computed once per request."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "is_coordinator": signed_in and user.is_coordinator,
        "current_supporter": user.supporter_or_none if signed_in else None,
    }
