"""Translated words for the stable codes pages show (the domain returns codes only).

Lower case, for use inside sentences and table cells; templates capitalise where a label
stands alone.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from fit_platform.domain.change import ChangeCategory
from fit_platform.domain.codes import (
    Actor,
    Channel,
    ConsentEventKind,
    ConsentState,
    EpisodeStatus,
    InvitationState,
    MessageKind,
    OutboxState,
    Role,
)
from fit_platform.domain.send_window import SkipReason
from fit_platform.messaging.delivery_problem import DeliveryProblem
from fit_platform.services.caseload_rows import CaseloadStatus

BANDS = {
    "minimal": _l("minimal"),
    "low": _l("low"),
    "mild": _l("mild"),
    "moderate": _l("moderate"),
    "moderately_severe": _l("moderately severe"),
    "moderate_to_severe": _l("moderate to severe"),
    "severe": _l("severe"),
}

STATUS = {
    CaseloadStatus.RISK: _l("Risk: acknowledge"),
    CaseloadStatus.ATTENTION: _l("Needs attention"),
    CaseloadStatus.ON_TRACK: _l("No open signals"),
    CaseloadStatus.NO_ANSWERS: _l("No answers yet"),
}

CHANGE = {
    ChangeCategory.RELIABLE_IMPROVEMENT: _l("reliably better"),
    ChangeCategory.RELIABLE_DETERIORATION: _l("reliably worse"),
    ChangeCategory.NO_RELIABLE_CHANGE: _l("no reliable change"),
    ChangeCategory.NOT_ASSESSABLE: _l("change cannot be assessed"),
}

CONSENT_STATE = {
    ConsentState.ACTIVE: _l("Gives feedback"),
    ConsentState.PAUSED: _l("Paused"),
    ConsentState.STOPPED: _l("Stopped feedback"),
}

# The same states on their own, without a "Feedback" label before them (the pre-session
# view's first line): "Feedback: Gives feedback" said it twice, and "Paused" alone says
# nothing of what is paused.
CONSENT_STATE_ALONE = {
    ConsentState.ACTIVE: _l("Gives feedback"),
    ConsentState.PAUSED: _l("Feedback paused"),
    ConsentState.STOPPED: _l("Stopped feedback"),
}

CONSENT_EVENT = {
    ConsentEventKind.DECLINED_INVITATION: _l("Declined a questionnaire"),
    ConsentEventKind.PAUSED: _l("Paused feedback"),
    ConsentEventKind.RESUMED: _l("Resumed feedback"),
    ConsentEventKind.STOPPED: _l("Stopped feedback"),
    ConsentEventKind.RESTARTED: _l("Started feedback again"),
    ConsentEventKind.CHANNEL_CHANGED: _l("Changed channel"),
    ConsentEventKind.FREQUENCY_REDUCED: _l("Asked for fewer questionnaires"),
}

# An episode's status in words (the admin audit trail; the pages say "Closed on …").
EPISODE_STATUS = {
    EpisodeStatus.ACTIVE: _lp("episode", "Open"),
    EpisodeStatus.ENDED: _l("Closed"),
}

ACTOR = {
    Actor.PATIENT: _l("the patient"),
    Actor.STAFF: _l("staff"),
    Actor.SYSTEM: _l("the system"),
}

ROLE = {
    Role.ADMIN: _l("administrator"),
    Role.THERAPIST: _l("therapist"),
    Role.UNIT_LEAD: _l("unit lead"),
    Role.SERVICE_DEVELOPER: _l("service developer"),
}

CHANNEL = {Channel.SMS: _l("SMS"), Channel.EMAIL: _l("e-mail")}

# Shown to a patient who asked for a one-time code: where to look for it.
CODE_SENT_BY = {
    Channel.SMS: _l("We have sent you a code by SMS. It works for 10 minutes."),
    Channel.EMAIL: _l("We have sent you a code by e-mail. It works for 10 minutes."),
}

# Why a message failed for good, as the pre-session view says it (messaging/delivery_problem.py).
DELIVERY_PROBLEM = {
    DeliveryProblem.NO_ADDRESS: _l("no phone number or e-mail address"),
    DeliveryProblem.REFUSED: _l("refused by the provider: the number or address may be wrong"),
    DeliveryProblem.SERVICE: _l("the message service did not work"),
}

MESSAGE_KIND = {
    MessageKind.INVITATION: _l("invitation"),
    MessageKind.REMINDER: _l("reminder"),
    MessageKind.ONE_TIME_CODE: _l("one-time code"),
    MessageKind.CONSENT_CONFIRMATION: _l("consent confirmation"),
}

INVITATION_STATE = {
    InvitationState.SCHEDULED: _l("scheduled"),
    InvitationState.SENT: _l("sent"),
    InvitationState.OPENED: _l("opened"),
    InvitationState.COMPLETED: _l("answered"),
    InvitationState.EXPIRED: _l("not answered in time"),
    InvitationState.CANCELLED: _l("cancelled"),
    InvitationState.DECLINED: _l("declined by the patient"),
}

# The reasons the scheduler or dispatcher gives for never sending (domain/send_window.py): the
# appointments page dates such a row by when it was planned if its time had passed by then.
NEVER_SENT = frozenset(SkipReason)

# The same reasons said ahead, on the schedule page's "Sent in the next 14 days": an occasion
# the scheduler will record as not sent, with the end of its window (services/upcoming.py).
WILL_NOT_BE_SENT = {
    SkipReason.TOO_LITTLE_TIME: _l("too little time is left to answer before %(until)s"),
    SkipReason.QUIET_HOURS: _l(
        "after quiet hours, too little time is left to answer before %(until)s"
    ),
    SkipReason.AFTER_PAUSE: _l("the pause leaves too little time to answer before %(until)s"),
}

# Shown instead of the state for an invitation that was never sent (docs/messaging.md), was
# cancelled by an administrator (docs/administration.md) or by the patient's own choice, so
# the therapist reads who closed it and why (docs/clinician.md).
SKIP_REASON = {
    SkipReason.TOO_LITTLE_TIME: _l("Not sent: too little time left to answer"),
    # Quiet hours ended too late: with less than the least time to answer left, or none (a
    # 08:30 session booked at 03:00 has 30 minutes after 08:00; one at 07:45 has none).
    SkipReason.QUIET_HOURS: _l("Not sent: after quiet hours, too little time was left to answer"),
    SkipReason.AFTER_PAUSE: _l(
        "Not sent: questionnaires were paused until too little time was left to answer"
    ),
    # Cancelled by an administrator's change (services/units_admin.py, episode_close.py).
    "unit_archived": _l("Cancelled: the unit was archived"),
    "episode_closed": _l("Cancelled: the episode was closed"),
    # Cancelled by a consent change (services/consent.py, or the dispatcher's own check).
    "paused_by_patient": _l("Cancelled: the patient paused questionnaires"),
    "stopped_by_patient": _l("Cancelled: the patient stopped questionnaires"),
    "paused": _l("Cancelled: questionnaires were paused"),
    "stopped": _l("Cancelled: questionnaires were stopped"),
    "consent_withdrawn": _l("Not sent: the patient had paused or stopped questionnaires"),
    "appointment_changed": _l("Cancelled: the appointment was moved or cancelled"),
    "rule_switched_off": _l("Not sent: its schedule rule was switched off"),
    "plan_changed": _l("Not sent: the plan was changed before it was sent"),
}

OUTBOX_STATE = {
    OutboxState.QUEUED: _l("waiting"),
    OutboxState.SENDING: _l("being sent"),
    OutboxState.SENT: _l("sent"),
    OutboxState.FAILED: _l("delivery failed"),
    OutboxState.CANCELLED: _l("cancelled"),
}

# Shown to a patient whose questionnaire is not available in their language (keyed by the
# language it is shown in); the first when the instrument has that one language only.
QUESTIONNAIRE_ONLY_IN = {
    "en": _l("This questionnaire is only available in English."),
    "nb": _l("This questionnaire is only available in Norwegian Bokmål."),
    "nn": _l("This questionnaire is only available in Norwegian Nynorsk."),
}
QUESTIONNAIRE_SHOWN_IN = {
    "en": _l("This questionnaire is not available in your language, so it is shown in English."),
    "nb": _l(
        "This questionnaire is not available in your language, so it is shown in Norwegian Bokmål."
    ),
    "nn": _l(
        "This questionnaire is not available in your language, so it is shown in Norwegian Nynorsk."
    ),
}
# A language named on its own, in the reader's language ("Norsk bokmål", "Engelsk"): the
# registration form's choices and the admin's table of an instrument's languages. The
# language menu names each language in itself instead (`i18n.LANGUAGE_NAMES`).
LANGUAGE_LABELS = {
    "nb": _l("Norwegian Bokmål"),
    "nn": _l("Norwegian Nynorsk"),
    "en": _l("English"),
}
# Languages named in the schedule picker after an instrument that lacks them or where its text
# is a working translation. Listed mid-sentence, so Norwegian writes "engelsk" in lower case
# here (the context keeps it apart from the capitalised name in the language menu); English
# writes the written standards as proper names, "Bokmål" and "Nynorsk" (the English catalogue
# gives them, as it does for the admin pages' "Opening hours in Bokmål").
LANGUAGE_SHORT = {
    "nb": _l("bokmål"),
    "nn": _l("nynorsk"),
    "en": _lp("language named mid-sentence", "English"),
}

# Why an invitation got no answer, by the group the service developer's export counts it in
# (services/export/rows.py: NON_RESPONSE_REASONS); also the patient's own file's words where no
# page names the stored reason (web/admin/patient_export_text.py).
REASON_LABELS = {
    "not_sent": _l("Not sent or not delivered"),
    "not_opened": _l("Not opened"),
    "opened_not_completed": _l("Opened, not finished"),
    "declined": _l("Declined"),
    "paused_or_stopped": _l("Feedback paused or stopped"),
    "appointment_changed": _l("Appointment changed"),
    "unit_archived": _l("Unit archived"),
    "episode_closed": _l("Episode closed"),
}
