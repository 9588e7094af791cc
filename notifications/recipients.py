"""What the domain apps tell the outbox about the people behind numbers.

notifications knows numbers, not people. An app that does (supporters) registers, in its
`AppConfig.ready()`, a recipient filter (numbers whose owner turned texts off) and a recipient
name (who a number belongs to, for the outbox pages).
"""

from collections.abc import Callable, Iterable

from django.db.models import CharField, Expression, Value

_filters: list[Callable[[set[str]], set[str]]] = []
_names: list[Callable[[str], Expression]] = []


def register_recipient_filter(blocked: Callable[[set[str]], set[str]]) -> None:
    """`blocked(phones)`: those among `phones` that must get no texts, in one query."""
    if blocked not in _filters:
        _filters.append(blocked)


def register_recipient_name(name: Callable[[str], Expression]) -> None:
    """`name(field)`: an expression for the name of whoever has the number in `field`."""
    if name not in _names:
        _names.append(name)


def blocked_numbers(phones: Iterable[str]) -> set[str]:
    """The numbers among `phones` a registered filter keeps texts from."""
    phones = set(phones)
    blocked = set()
    for blocked_among in _filters:
        if phones:
            blocked |= blocked_among(phones)
    return blocked


def name_by_phone(field: str) -> Expression:
    """The name behind the number in `field` (the first registered answer), else None."""
    for name in _names:
        return name(field)
    return Value(None, output_field=CharField())
