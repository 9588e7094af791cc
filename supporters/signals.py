"""What supporters tells the apps above it, which it never imports (apps import downward)."""

from django.dispatch import Signal

# Sent by `withdraw_supporter` and `pause_supporter` inside their transaction, before the
# supporter's row is written, with `supporter` and `by` (the user acting). Receivers call off
# what the supporter was to do in their app, in the same transaction (sessions cancels their
# coming shifts, see sessions.services.membership), so a failure leaves the supporter as they were.
supporter_leaving = Signal()
