"""A question page posted after its questionnaire ran out of time.

Such a page is not saved: the questionnaire is closed and the patient gets the closed page.
But a risk answer is never dropped. A patient who had the page open when the deadline passed
(overnight, say) and ticked the risk question was told only "this questionnaire is closed":
no help, and nothing reached the therapist. Now the help page comes at once, as on time, and
the page is kept with its risk signal (`services/page_save.keep_late_risk_answer`), so the
therapist sees the flag and the answers on the pre-session view. The questionnaire itself
stays closed: the help page offers no way on with it.
"""

from __future__ import annotations

from flask import render_template, request

from fit_platform.domain.scoring import InvalidAnswerError
from fit_platform.extensions import get_db
from fit_platform.services import answering
from fit_platform.services.answering import LinkClosedError, LinkContext, LinkStatus
from fit_platform.web.patient import forms
from fit_platform.web.patient.blueprint import Page, _closed_page, _now


def late_page(ctx: LinkContext, page: int) -> Page:
    """The help page when the posted page has a risk answer (kept for the therapist), else
    the closed page, as before."""
    if ctx.status is not LinkStatus.EXPIRED or ctx.invitation_id is None:
        return _closed_page(ctx)
    inst = ctx.instrument
    plan = answering.page_plan(inst)
    if not 1 <= page <= len(plan):
        return _closed_page(ctx)
    link_ids = plan[page - 1]
    language = forms.page_language(inst)
    codes: dict[str, str | None] | None = forms.all_known_answers(inst, link_ids, request.form)
    if codes is None:  # not answered in full: what was ticked, as a save in part takes it
        page_form = forms.answer_page_form(inst, link_ids, language.value, formdata=request.form)
        page_form.validate()
        codes = forms.answered_in_part(page_form, link_ids)
    try:
        kept = answering.keep_late_risk_answer(
            get_db(), ctx.invitation_id, page, codes, language, _now()
        )
    except (LinkClosedError, InvalidAnswerError):
        kept = False
    if not kept:
        return _closed_page(ctx)
    return render_template("patient/help.html", ctx=ctx, next_url=None, late=True)
