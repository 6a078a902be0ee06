"""Who a patient page says reads her answers and comments: the one rule every page asks.

The pages promise "your therapist" reads what she writes and sees her answers. That is true
only while an active therapist is responsible for her episode. When the responsible
therapist is deactivated (people leave suddenly) or nobody is responsible, nobody reads her
answers as their own: the unit's leads see the episode on their caseload, and a risk answer
at once (`services/unattended.py`, `docs/administration-staff.md`). The pages then say that
someone at her clinic reads them, which is true either way, and name nobody she was not
already shown.

After the treatment period has ended (the link's episode is closed) nobody reads what she
writes as part of her treatment: no sessions are left to read it before. ``treatment_ended``
tells the pages to say so instead of promising a reader (`docs/patient-journey.md`).

Each promise is a whole sentence in both forms, so a translation never has to build one.
"""

from __future__ import annotations

from fit_platform.services.link_context import LinkContext


def therapist_reads(ctx: LinkContext | None) -> bool:
    """True when the page may say "your therapist": the link's episode has an active
    responsible therapist (read with the link, no statement of its own). Without a link
    (the progress page after an ID-porten login) the view passes what
    :func:`fit_platform.services.unattended.episode_has_active_responsible` says for the
    patient's latest episode."""
    return ctx is not None and ctx.therapist_active and ctx.episode_active


def treatment_ended(ctx: LinkContext | None) -> bool:
    """True when the link's episode has closed: nothing more is sent for it and nobody reads
    changes, so a page offers no pause, stop or restart and promises no reader."""
    return ctx is not None and not ctx.episode_active


def own_plan_unread(ctx: LinkContext | None) -> bool:
    """True when the patient's crisis plan and standing choices are read by nobody: her
    treatment has ended and no later course has started. They are hers, not an episode's: a
    link from an ended course, used after she came back (a new episode), must not say
    nobody reads them, as the new course's therapist does."""
    return treatment_ended(ctx) and not (ctx is not None and ctx.patient_in_treatment)


def new_course_started(ctx: LinkContext | None) -> bool:
    """This link's course has ended and a later one is open: the pages say which link to use."""
    return treatment_ended(ctx) and ctx is not None and ctx.patient_in_treatment
