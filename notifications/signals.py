"""What the outbox tells the apps that know who is behind a number.

`opted_out` and `opted_in` are sent with `phone` and `source` (e.g. "sms" for STOP or START,
"admin", "provider") when a number stops or resumes texts; supporters turns the supporter's
`sms_opt_in` off and on.
"""

from django.dispatch import Signal

opted_out = Signal()
opted_in = Signal()
