"""The texts about sessions and shifts: reminders, confirmations, cancellations, offers and the
answers to supporters' 1 and 2. Rendered by the outbox's `notifications.texts.render_sms`.

Reminders must fit one message in Japanese (70 characters) with the longest place printed;
tests/test_sms_reminders.py checks each of REMINDER_TEMPLATES.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from notifications import texts

TEMPLATES = {
    # Translators: SMS to a supporter at 18:00 the day before a shift; 3 asks another supporter
    # to take it (issue 13). One message: at most 70 characters in Japanese with a 14-character
    # place, e.g. "明日%(time)s %(place)s 参加は1、取消は2、代わりを頼むなら3を返信".
    "shift_evening_before": _(
        "Tomorrow %(time)s %(place)s: reply 1 to confirm, 2 to cancel, 3 to ask for cover."
    ),
    # Translators: SMS to a supporter the morning of a shift. At most 70 characters in Japanese.
    "shift_morning_of": _("Today %(time)s %(place)s. Reply 2 if you cannot come."),
    # Translators: SMS to a resident registered for a class, the day before. At most 70
    # characters in Japanese, e.g. "明日%(time)s %(place)sで%(title)s 受付番号%(reference)s".
    "registration_day_before": _("%(title)s tomorrow %(time)s at %(place)s. Ref %(reference)s"),
    # Translators: SMS to a group's representative the day before supporters visit. At most 70
    # characters in Japanese.
    "dispatch_day_before": _("Supporters visit %(place)s tomorrow %(time)s. Ref %(reference)s"),
    # Translators: SMS to a supporter who signed up for a shift.
    "shift_confirmation": _("Signed up: %(date)s %(time)s %(place)s. Thank you!"),
    # Translators: SMS to a supporter whose shift was cancelled.
    "shift_cancelled": _("Your shift %(date)s %(time)s %(place)s is cancelled."),
    # Translators: SMS to people taking part when a coordinator cancels a session.
    "session_cancelled": _("%(date)s %(time)s %(place)s is cancelled. We are sorry."),
    # Translators: SMS to a supporter on the waiting list when a place opens.
    "waitlist_offer": _(
        "A place opened: %(date)s %(time)s %(place)s. Reply 1 by %(deadline)s to take it."
    ),
    # Translators: SMS to coordinators when a supporter cancels a shift shortly before it starts.
    "late_cancellation": _("Late cancellation: %(name)s, %(date)s %(time)s %(place)s."),
    # Translators: reply when a supporter answers 1 to a reminder.
    "reply_confirmed": _("Thank you! See you %(date)s %(time)s at %(place)s."),
    # Translators: reply when a supporter answers 2 to a reminder.
    "reply_cancelled": _("Cancelled: %(date)s %(time)s %(place)s. Thank you for telling us."),
    # Translators: reply to 1 or 2 from a supporter with no upcoming reminded shift.
    "reply_no_shift": _("We found no coming shift to answer. Please call the office."),
    # Translators: reply to 1 or 2 when the shift can no longer be changed by text.
    "reply_cannot_change": _(
        "This shift can no longer be changed by text. Please call the office."
    ),
    # Translators: one SMS to a supporter who withdrew or paused, for all their coming shifts
    # that were cancelled; %(date)s %(time)s %(place)s is the first of them.
    "shifts_called_off": ngettext_lazy(
        "Your %(count)s coming shift (%(date)s %(time)s %(place)s) is cancelled. Thank you for "
        "your help.",
        "Your %(count)s coming shifts, the first %(date)s %(time)s %(place)s, are cancelled. "
        "Thank you for your help.",
        "count",
    ),
    # Translators: SMS to coordinators when a supporter withdraws or pauses and their coming
    # shifts are cancelled; %(date)s %(time)s %(place)s is the first of them.
    "supporter_stopped": ngettext_lazy(
        "%(name)s stopped: %(count)s coming shift cancelled, %(date)s %(time)s %(place)s.",
        "%(name)s stopped: %(count)s coming shifts cancelled, the first %(date)s %(time)s "
        "%(place)s.",
        "count",
    ),
    # Group visits (issue 10). To the group's representative, in their language; a landline gets
    # the same words read out by a coordinator.
    # Translators: SMS to a group's representative when their request arrives; the status
    # page's link follows on its own line.
    "request_received": _(
        "We received your group visit request. Ref %(reference)s. See it or cancel it here:"
    ),
    # Translators: what a coordinator tells a group's representative with a landline when
    # calling back about a request sent on the web form or on paper (no text reaches a landline).
    "request_received_call": _(
        "We received your group visit request. Its reference is %(reference)s."
    ),
    # Translators: SMS to a group's representative when a coordinator takes the request on.
    "request_accepted": _(
        "We are arranging your group visit (Ref %(reference)s) and will tell you the date."
    ),
    # Translators: SMS to a group's representative with a coordinator's question.
    "request_question": _(
        "About your group visit %(reference)s: %(question)s Please call the office."
    ),
    # Translators: SMS to a group's representative when the request is declined, with why.
    "request_declined": _("Sorry, we cannot arrange group visit %(reference)s: %(reason)s"),
    # Translators: SMS to a group's representative when the request is declined.
    "request_declined_no_reason": _(
        "Sorry, we cannot arrange group visit %(reference)s. Please call the office."
    ),
    # Translators: SMS to a group's representative when the visit has its date.
    "request_scheduled": _(
        "Group visit %(reference)s: %(date)s %(time)s at %(place)s. We will text who comes."
    ),
    # Translators: SMS to a group's representative when the visit moves.
    "request_moved": _("Group visit %(reference)s moved to %(date)s %(time)s at %(place)s."),
    # Translators: SMS to a group's representative when the request is cancelled.
    "request_cancelled": _("Your group visit request %(reference)s is cancelled."),
    # Translators: SMS to a group's representative once every supporter place is taken;
    # %(lead)s is the lead supporter's given name.
    "request_staffed": _(
        "Group visit %(date)s %(time)s: %(lead)s and the team will come. Ref %(reference)s"
    ),
    # Translators: reply to a text from a group's representative.
    "reply_request_noted": _("Thank you. A coordinator will read your message. Ref %(reference)s"),
    # Translators: SMS to supporters invited to staff a group visit; a link follows.
    "visit_invitation": _(
        "Group visit %(date)s %(time)s %(place)s needs supporters. Reply 1 or open the link:"
    ),
    # Translators: SMS to invited supporters who had not answered when the places filled.
    "visit_filled": _("Thank you: group visit %(date)s %(time)s %(place)s is now fully staffed."),
    # Translators: reply when an invited supporter answers 1 and gets a place on a group visit.
    "reply_visit_taken": _("Thank you! You are on the group visit %(date)s %(time)s at %(place)s."),
    # Translators: reply when an invited supporter answers 1 after every place was taken.
    "reply_visit_filled": _(
        "Thank you. Sorry, group visit %(date)s %(time)s %(place)s is already fully staffed."
    ),
    # Translators: reply when an invited supporter answers 1 but the shift rules refuse;
    # %(reason)s is why (e.g. another shift at that time).
    "reply_visit_refused": _("Group visit %(date)s %(time)s: %(reason)s"),
    # Translators: SMS to the supporters of a group visit that moved.
    "visit_moved": _("The group visit moved to %(date)s %(time)s at %(place)s."),
    # Translators: SMS to the supporters on a smartphone class whose time changed.
    "class_moved_team": _("The class %(title)s moved to %(date)s %(time)s at %(place)s."),
    # Smartphone classes (issue 11). To a registrant, in their language; the status page's link
    # follows on its own line where the text says so. A landline gets none of these.
    # Translators: SMS to a resident whose class has a new time; the status page's link
    # follows.
    "class_moved": _(
        "New time: %(title)s %(date)s %(time)s at %(place)s. Ref %(reference)s. If you cannot "
        "come, cancel here:"
    ),
    # Translators: SMS to a resident who registered for a class; the status page's link follows.
    "class_registered": _(
        "Registered: %(title)s %(date)s %(time)s at %(place)s. Ref %(reference)s. See or cancel:"
    ),
    # Translators: SMS to a resident who registered for every coming date of a class series;
    # %(date)s %(time)s is the first date; the status page's link follows.
    "class_series_registered": ngettext_lazy(
        "Registered for %(count)s date of %(title)s from %(date)s %(time)s. Ref %(reference)s. "
        "See or cancel:",
        "Registered for %(count)s dates of %(title)s from %(date)s %(time)s. Ref "
        "%(reference)s. See or cancel:",
        "count",
    ),
    # Translators: SMS to a resident who joined a full class's waiting list; the status page's
    # link follows.
    "class_waitlisted": _(
        "%(title)s %(date)s is full: you are number %(position)s on the waiting list. We text "
        "you if a seat opens. Ref %(reference)s:"
    ),
    # Translators: SMS to the first resident on a class's waiting list when a seat opens; the
    # link to take it follows on its own line.
    "class_seat_offered": _(
        "A seat opened: %(title)s %(date)s %(time)s. Reply 1 or open the link by %(deadline)s "
        "to take it:"
    ),
    # Translators: SMS (or reply to 1) when a resident takes a seat offered to them.
    "class_seat_taken": _(
        "Your seat is booked: %(title)s %(date)s %(time)s at %(place)s. Ref %(reference)s"
    ),
    # Translators: reply to 1 from a resident whose offered seat was not taken in time.
    "reply_class_offer_lapsed": _(
        "Sorry, the time to take the seat has passed. Please call the office. Ref %(reference)s"
    ),
    # Translators: reply to 1 from a resident when the offered seat can no longer be taken.
    "reply_class_offer_refused": _(
        "Sorry, this seat can no longer be taken by text. Please call the office."
    ),
    # Cover requests (issue 13). To supporters, in their language; a landline gets none.
    # Translators: SMS to a supporter asked to take another supporter's shift; the link to
    # take it follows on its own line.
    "cover_offer": _(
        "Can you cover %(date)s %(time)s %(place)s? Reply 1 or open the link by %(deadline)s:"
    ),
    # Translators: SMS to supporters asked to cover a shift, once another took it.
    "cover_taken": _("Thank you: the shift %(date)s %(time)s %(place)s has been covered."),
    # Translators: SMS to a supporter who asked for cover, once another supporter took the
    # shift; %(name)s is their given name.
    "cover_found": _(
        "%(name)s will cover your shift %(date)s %(time)s %(place)s. You are free. Thank you!"
    ),
    # Translators: SMS to a supporter whose cover request found nobody in time; their answer
    # 1 or 2 confirms or cancels the shift.
    "cover_can_you_come": _(
        "Nobody could cover %(date)s %(time)s %(place)s. Can you still come? Reply 1 yes, 2 no."
    ),
    # Translators: SMS to coordinators when a cover request found nobody in time.
    "cover_not_found": _("No cover found: %(name)s, %(date)s %(time)s %(place)s."),
    # Translators: reply when a supporter answers 3 to a reminder: other supporters are asked.
    "reply_cover_asked": _(
        "We are asking others to cover %(date)s %(time)s %(place)s. Until one does, it is yours."
    ),
    # Translators: reply when a supporter answers 1 to take a shift already covered.
    "reply_cover_gone": _(
        "Thank you. Sorry, the shift %(date)s %(time)s %(place)s is already covered."
    ),
    # Translators: reply to 1 or 3 about cover when the rules refuse; %(reason)s says why.
    "reply_cover_refused": _("Shift %(date)s %(time)s: %(reason)s"),
    # Missed shifts (issue 13). Kind, never a penalty.
    # Translators: SMS the morning after a session to its lead (or the coordinators): who was
    # neither checked in nor marked; %(names)s are their given names; the roster's link follows.
    "missed_shift_question": ngettext_lazy(
        "%(date)s %(time)s %(place)s: did %(names)s come? Please mark it on the roster:",
        "%(date)s %(time)s %(place)s: did %(names)s (%(count)s supporters) come? Please mark "
        "it on the roster:",
        "count",
    ),
    # Translators: SMS to a supporter marked as not coming to a shift; friendly, no penalty.
    "missed_you": _(
        "We missed you at %(place)s on %(date)s. Is everything all right? If you cannot come "
        "next time, reply 3 to the reminder and someone can cover. — Maebashi Digital Supporters"
    ),
}

REMINDER_TEMPLATES = (
    "shift_evening_before",
    "shift_morning_of",
    "registration_day_before",
    "dispatch_day_before",
)


def render_sms(template: str, language: str, **context) -> str:
    """The text `template` of TEMPLATES in `language` (see `notifications.texts.render_sms`)."""
    return texts.render_sms(TEMPLATES[template], language, **context)


def render_registration_sms(template: str, registration, **context) -> str:
    """A text to a class registrant about their class, in their language: its time, place,
    name (the title, else the kind) and the registration's reference, and `context`."""
    session = registration.session
    return render_sms(
        template,
        registration.language,
        moment=session.starts_at,
        place=session.place_label,
        title=session.title or session.get_kind_display(),
        reference=registration.reference,
        **context,
    )
