"""Which schedule triggers a unit's kind can run.

"Every programme day" (the daily trigger) follows the days of a day programme (dagtilbud),
where the patient comes in most weekdays and a short check each day fits the programme. An
outpatient clinic (DPS poliklinikk) sees a patient every week or two: a questionnaire every
day there is a burden with no session to use it in. So at an outpatient unit the daily
trigger is neither offered nor accepted, and a daily rule already stored there (a template
made before this check, or a unit whose kind was changed) is never sent. It is kept, not
deleted: if the unit becomes a day programme again, the rule runs again.
"""

from __future__ import annotations

from fit_platform.domain.codes import ScheduleTrigger, UnitKind

# Triggers that only make sense where the unit runs a day programme.
DAY_PROGRAMME_TRIGGERS = frozenset({ScheduleTrigger.DAILY})


def trigger_runs_at(trigger: ScheduleTrigger, kind: UnitKind) -> bool:
    """True when a rule with `trigger` may be set up, and is sent, at a unit of `kind`."""
    return trigger not in DAY_PROGRAMME_TRIGGERS or kind is UnitKind.DAY_PROGRAMME
