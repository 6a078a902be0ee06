"""Labels of the parts of a crisis plan and the kinds of standing choice, shared by the
patient pages and the clinician pages so both name them the same way."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from fit_platform.domain.own_plan import ChoiceKind, PlanPart

PLAN_LABELS = {
    PlanPart.WARNING_SIGNS: _l("Signs that a crisis is coming"),
    PlanPart.WHAT_HELPS: _l("What helps me"),
    PlanPart.WHO_TO_CALL: _l("Who I call"),
    PlanPart.STAFF_SHOULD: _l("What I want staff to do"),
    PlanPart.STAFF_SHOULD_NOT: _l("What I do not want staff to do"),
}
PLAN_HINTS = {
    PlanPart.WARNING_SIGNS: _l("For example: “I stop sleeping” or “I stay in my room”."),
    PlanPart.WHAT_HELPS: _l("For example: a walk, music, talking to someone."),
    PlanPart.WHO_TO_CALL: _l("Names and numbers of people you trust."),
    PlanPart.STAFF_SHOULD: _l("For example: “Speak calmly and tell me what is happening”."),
    PlanPart.STAFF_SHOULD_NOT: _l("For example: “Do not touch me without asking”."),
}
CHOICE_LABELS = {
    ChoiceKind.ENDED_APPROACH: _l(
        "I have ended a treatment approach and do not consent to it again"
    ),
    ChoiceKind.MEDICATION_FREE: _l("I want a medication-free option discussed with me"),
    ChoiceKind.CONTACT_PERSON: _l("Who staff may or may not contact about me"),
    ChoiceKind.OTHER: _l("Something else that must hold in all my treatment"),
}
