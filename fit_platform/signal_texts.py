"""Therapist-facing titles and explanations of each signal code.

The domain (``fit_platform.domain.signals``) returns codes only; the web layer shows these
lazy strings, so they are translated in the request's language. msgids are English; the
nb/nn catalogs are filled from the extracted messages.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from fit_platform.domain.signals import SignalCode

SIGNAL_TITLES = {
    SignalCode.RISK_ANSWER: _l("Risk answer"),
    SignalCode.RISK_NOT_ASSESSED: _l("Risk question not answered"),
    SignalCode.RELIABLE_DETERIORATION: _l("Reliably worse"),
    SignalCode.NOT_ON_TRACK: _l("Not on track"),
    SignalCode.ALLIANCE_LOW: _l("Low alliance score"),
    SignalCode.ALLIANCE_PERSISTENTLY_LOW: _l("Alliance score low several times"),
    SignalCode.ALLIANCE_DROP: _l("Alliance score dropped"),
    SignalCode.GROUP_FORM_LOW: _l("Low score on the group form"),
    SignalCode.GROUP_FORM_PERSISTENTLY_LOW: _l("Group form score low several times"),
    SignalCode.GROUP_FORM_DROP: _l("Group form score dropped"),
    SignalCode.MISSED_ANSWERS: _l("Several missed questionnaires"),
}

SIGNAL_EXPLANATIONS = {
    SignalCode.RISK_ANSWER: _l(
        "The patient answered a question about suicidal thoughts or self-harm at or above "
        "its threshold. The patient was shown where to get help at once. Talk with the "
        "patient about safety as soon as possible, and acknowledge this signal."
    ),
    SignalCode.RISK_NOT_ASSESSED: _l(
        "The patient answered the questionnaire but left the question about suicidal "
        "thoughts or self-harm blank, so this response says nothing about risk. Ask about "
        "it directly in the next session."
    ),
    SignalCode.RELIABLE_DETERIORATION: _l(
        "The latest score is worse than the first or the previous score by more than "
        "measurement error alone explains (reliable change). Ask the patient what has "
        "changed and review the plan together."
    ),
    SignalCode.NOT_ON_TRACK: _l(
        "Several sessions into treatment, the score has not improved by more than "
        "measurement error since the start and is still at or above the clinical cut-off "
        "(or it is outside the range your service expects at this session). Patients who are off "
        "track often benefit when progress is discussed and the treatment adjusted."
    ),
    SignalCode.ALLIANCE_LOW: _l(
        "The patient rated the working relationship below the questionnaire's cut-off. "
        "Invite feedback about what could work better in the sessions."
    ),
    SignalCode.ALLIANCE_PERSISTENTLY_LOW: _l(
        "The patient has rated the working relationship in the lower half of the scale "
        "several sessions in a row. Talk together about goals, tasks and how the sessions "
        "work for the patient."
    ),
    SignalCode.ALLIANCE_DROP: _l(
        "The patient rated the working relationship lower than last time, or lower than "
        "their usual level over the last few sessions. Ratings are usually near the top of "
        "the scale, so even a small drop can mean a strain in the relationship. Ask about "
        "it openly in the next session."
    ),
    SignalCode.GROUP_FORM_LOW: _l(
        "The patient rated how the group went for them below the group form's cut-off. The "
        "form is about the group, not about your sessions together. Ask how the group is "
        "going for the patient."
    ),
    SignalCode.GROUP_FORM_PERSISTENTLY_LOW: _l(
        "The patient has rated the group in the lower half of the scale several group "
        "sessions in a row. The form is about the group, not about your sessions together. "
        "Talk about what the group gives the patient and whether it suits them now."
    ),
    SignalCode.GROUP_FORM_DROP: _l(
        "The patient rated the group lower than last time, or lower than their usual level "
        "over the last few group sessions. The form is about the group, not about your "
        "sessions together. Ask how the group is going for the patient."
    ),
    SignalCode.MISSED_ANSWERS: _l(
        "The patient has not answered the last few invitations. Check whether the timing "
        "or channel suits the patient, and whether they still want to give feedback."
    ),
}

# What a signal's explanation says once every occurrence is acknowledged, where the explanation
# itself asks for the acknowledgement: the page would otherwise still tell the therapist to do
# what it shows as done a line further down.
SIGNAL_EXPLANATIONS_ACKNOWLEDGED = {
    SignalCode.RISK_ANSWER: _l(
        "The patient answered a question about suicidal thoughts or self-harm at or above "
        "its threshold. The patient was shown where to get help at once. Talk with the "
        "patient about safety as soon as possible."
    ),
}
