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
    SignalCode.RELIABLE_DETERIORATION: _l("Reliably worse"),
    SignalCode.NOT_ON_TRACK: _l("Not on track"),
    SignalCode.ALLIANCE_LOW: _l("Low alliance score"),
    SignalCode.ALLIANCE_DROP: _l("Alliance score dropped"),
    SignalCode.MISSED_ANSWERS: _l("Several missed questionnaires"),
}

SIGNAL_EXPLANATIONS = {
    SignalCode.RISK_ANSWER: _l(
        "The patient answered a question about suicidal thoughts or self-harm at or above "
        "its threshold. The patient was shown where to get help at once. Talk with the "
        "patient about safety as soon as possible, and acknowledge this signal."
    ),
    SignalCode.RELIABLE_DETERIORATION: _l(
        "The latest score is worse than the first or the previous score by more than "
        "measurement error alone explains (reliable change). Ask the patient what has "
        "changed and review the plan together."
    ),
    SignalCode.NOT_ON_TRACK: _l(
        "The latest score is worse than expected at this point in treatment, judged from "
        "the score at the start. Patients who are off track early often benefit when the "
        "treatment is discussed and adjusted."
    ),
    SignalCode.ALLIANCE_LOW: _l(
        "The patient rated the working relationship below the questionnaire's cut-off. "
        "Invite feedback about what could work better in the sessions."
    ),
    SignalCode.ALLIANCE_DROP: _l(
        "The patient rated the working relationship lower than last time. Ratings are "
        "usually near the top of the scale, so even a small drop can mean a strain in the "
        "relationship. Ask about it openly in the next session."
    ),
    SignalCode.MISSED_ANSWERS: _l(
        "The patient has not answered the last few invitations. Check whether the timing "
        "or channel suits the patient, and whether they still want to give feedback."
    ),
}
