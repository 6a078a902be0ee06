"""Opening the link and answering: the landing page, the POST that binds the link to this
browser, the questionnaire's pages, help now, and the finish page (routes on the patient
blueprint, blueprint.py).

    GET  /p/<token>            landing page, or a page saying why the link is closed (404/410)
    POST /p/<token>            start/continue, other choices, progress, goals, restart
    GET  /p/                   back to where the patient was
    GET/POST /p/answer/<n>     page n of the questionnaire (saved on every POST)
    GET  /p/help               where to get help now (shown at once after a risk answer)
    GET/POST /p/finish         topic for next session, comment, submit
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import abort, redirect, render_template, request, session, url_for

from fit_platform.context_objects import this_request
from fit_platform.domain.codes import Language
from fit_platform.domain.instrument_language import questionnaire_language
from fit_platform.domain.instruments import Instrument, Item, Kind
from fit_platform.domain.scoring import InvalidAnswerError
from fit_platform.extensions import get_db, limiter
from fit_platform.i18n import choose_language, supported_language
from fit_platform.services import answering
from fit_platform.services.answering import LinkClosedError, LinkContext, LinkStatus
from fit_platform.services.finish_draft import Draft, draft_for, keep_draft
from fit_platform.web.inputs import small_int
from fit_platform.web.labels import QUESTIONNAIRE_ONLY_IN, QUESTIONNAIRE_SHOWN_IN
from fit_platform.web.patient import answer_review, forms
from fit_platform.web.patient.answer_choices import choice_inputs
from fit_platform.web.patient.blueprint import (
    CODE_KEY,
    Page,
    _bind,
    _bound_context,
    _closed_page,
    _deadline,
    _grant_progress,
    _language,
    _no_link_page,
    _now,
    _progress_patient,
    _remember_patient_language,
    _use_patient_language,
    _zone,
    bp,
    needs_link,
)
from fit_platform.web.patient.choice_pages import _restart_feedback
from fit_platform.web.patient.late_risk import late_page
from fit_platform.web.patient.one_trip_save import saved_without_link_read
from fit_platform.web.patient.page_shell import render_page
from fit_platform.web.patient.shown_page import ShownPage, shown_page


def _questionnaire_language(inst: Instrument) -> Language:
    """The language the questionnaire itself is shown (and its answers stored) in."""
    return Language(questionnaire_language(inst, _language().value))


def _language_notice(inst: Instrument) -> str | None:
    """A plain notice when the questionnaire is not in the patient's language, else None."""
    shown = _questionnaire_language(inst)
    if shown is _language():
        return None
    texts = QUESTIONNAIRE_ONLY_IN if len(inst.languages) == 1 else QUESTIONNAIRE_SHOWN_IN
    return str(texts[shown.value])


# --------------------------------------------------------------------------- the link


@bp.get("/<token>")
def landing(token: str) -> Page:
    """Landing page. Changes nothing anywhere: scanners and previews may fetch it freely."""
    ctx = answering.inspect_link(get_db(), token, _now())
    if ctx.status is LinkStatus.UNKNOWN:
        return _closed_page(ctx)
    _use_patient_language(ctx)
    _remember_patient_language(ctx)
    if ctx.status is not LinkStatus.OPEN:
        return _closed_page(ctx, token)
    inst = ctx.instrument
    return render_page(
        "patient/landing.html",
        ctx,
        token,
        item_count=len(inst.items),
        minutes=answering.minutes_to_answer(inst),
        language_notice=_language_notice(inst),
        deadline=_deadline(ctx),
    )


@bp.post("/<token>")
@limiter.limit("30 per minute")
def link_action(token: str) -> Page:
    form = forms.LinkActionForm()
    if not form.validate_on_submit():
        abort(400)
    ctx = answering.inspect_link(get_db(), token, _now())
    if ctx.status is LinkStatus.UNKNOWN:
        return _closed_page(ctx)
    _use_patient_language(ctx)
    if ctx.token_revoked:
        # A revoked link (its message never went out) opens nothing in this browser.
        return _closed_page(ctx)
    _remember_patient_language(ctx)
    action = request.form.get("action", "start")
    _bind(ctx)
    if action == "choices":
        return redirect(url_for("patient.choices"))
    if action == "goals":
        return redirect(url_for("patient.goals"))
    if action == "progress":
        session[CODE_KEY] = ctx.patient_id
        return redirect(url_for("patient.progress_view"))
    if action == "restart":
        return _restart_feedback(ctx)
    if ctx.status is not LinkStatus.OPEN:
        return _closed_page(ctx, token)
    assert ctx.invitation_id is not None
    try:
        answering.start_answering(
            get_db(), ctx.invitation_id, _questionnaire_language(ctx.instrument), _now()
        )
    except LinkClosedError:
        return _closed_page(answering.inspect_link(get_db(), token, _now()), token)
    return redirect(_next_step(ctx))


def _next_step(ctx: LinkContext) -> str:
    page = ctx.next_page()
    if page > len(answering.page_plan(ctx.instrument)):
        return url_for("patient.finish")
    return url_for("patient.answer", page=page)


@bp.get("/")
def resume() -> Page:
    ctx = _bound_context()
    if ctx is None:
        return _no_link_page()
    if ctx.status is LinkStatus.OPEN:
        return redirect(_next_step(ctx))
    if ctx.status is LinkStatus.COMPLETED and _progress_patient() == ctx.patient_id:
        return redirect(url_for("patient.done"))
    return _closed_page(ctx)


# --------------------------------------------------------------------------- answering


@bp.route("/answer/<int:page>", methods=["GET", "POST"])
def answer(page: int) -> Page:
    # The plainest save needs no link read first (one_trip_save.py); every other request,
    # and a save its guard refuses, reads the link.
    if this_request().method == "POST":
        saved = saved_without_link_read(page)
        if saved is not None:
            return saved
    return _answer_after_link_read(page=page)  # type: ignore[call-arg]  # needs_link gives ctx


@needs_link(open_only=True, late=late_page)
def _answer_after_link_read(ctx: LinkContext, page: int) -> Page:
    inst = ctx.instrument
    plan = answering.page_plan(inst)
    if not 1 <= page <= len(plan):
        abort(404)
    link_ids = plan[page - 1]
    form: forms.AnswerPage | ShownPage
    fields: list[tuple[Item, Any]]
    current = this_request()  # not the proxy: fit_platform/context_objects.py
    if current.method == "POST":
        posted = current.form
        # "Back" saves the page and goes back, and a language choice in the header (a button
        # of this form) saves it and shows it again in that language; neither is ever refused:
        # a page not answered in full is saved in part (the questions answered; resuming comes
        # back to it), so what was ticked is there after. Links lost it.
        switch_to = supported_language(posted.get("language"))
        goes_to: int | None = None  # the page a save in part leads to
        if switch_to is not None:
            goes_to = page
        elif page > 1 and posted.get("action") == "back":
            goes_to = page - 1
        # A page answered in full with the questions' own choices needs no form to check it,
        # and its save no language unless the response is still to be made: the locale is
        # looked up only where it is used (a form, a new response, a page shown again).
        codes: dict[str, str | None] | None = forms.all_known_answers(inst, link_ids, posted)
        page_form = None
        refused = False  # the page is shown again with its errors, after its valid answers
        if codes is None:
            page_form = forms.answer_page_form(
                inst, link_ids, _questionnaire_language(inst).value, formdata=posted
            )
            if page_form.validate():
                codes = {k: (page_form[k].data or None) for k in link_ids}
            else:
                # Its valid answers are saved all the same, as the page promises ("saved each
                # time you go on"); they were lost when the patient left after an error, and a
                # risk answer beside a missing one got no help until the page was complete.
                # Nothing ticked: nothing to save.
                codes = forms.answered_in_part(page_form, link_ids) or None
                refused = goes_to is None
        if codes is not None:
            assert ctx.invitation_id is not None
            try:
                saved = answering.save_page(
                    get_db(),
                    ctx.invitation_id,
                    page,
                    codes,
                    lambda: _questionnaire_language(inst),
                    _now(),
                    instrument_id=ctx.instrument_id,
                    answered_in=forms.page_language(inst),
                    seen=ctx,
                )
            except LinkClosedError:  # closed since the page's read: a risk answer is kept
                return late_page(answering.load_context(get_db(), ctx.token_id or 0, _now()), page)
            except InvalidAnswerError:
                abort(400)
            # After the save, which keeps each answer's language as the page showed it.
            choose_language(switch_to)
            if saved.risk:
                # Help first; then on to where the patient was going ("Back", or this page
                # in another language, or this page again to finish it), not forward to the
                # next page or to sending.
                back_to = page if refused else goes_to
                going: dict[str, Any] = {"to": back_to} if back_to is not None else {}
                return redirect(url_for("patient.help_now", after=page, **going))
            if goes_to is not None:
                return redirect(url_for("patient.answer", page=goes_to))
            if not refused:  # refused: shown again below, with its errors and what was typed
                if saved.next_page > saved.page_count:
                    return redirect(url_for("patient.finish"))
                return redirect(url_for("patient.answer", page=saved.next_page))
        if goes_to is not None:
            choose_language(switch_to)
            return redirect(url_for("patient.answer", page=goes_to))
        assert page_form is not None  # only a page the form refused is shown again
        form = page_form
        status = 422
        fields = list(forms.item_field_pairs(form, inst))
    else:
        saved_codes = answering.saved_codes(ctx)
        shown = shown_page(inst, link_ids, saved_codes)
        if shown is not None:
            form, fields = shown, list(shown.fields)
        else:
            form = forms.answer_page_form(
                inst,
                link_ids,
                _questionnaire_language(inst).value,
                data={
                    k: answer_review.as_typed(inst.item(k), saved_codes.get(k)) for k in link_ids
                },
            )
            fields = list(forms.item_field_pairs(form, inst))
        status = 200
    answered_before = sum(len(ids) for ids in plan[: page - 1])
    language = _questionnaire_language(inst)
    return (
        render_page(
            "patient/answer.html",
            ctx,
            inst=inst,
            form=form,
            fields=fields,
            choice_inputs=choice_inputs,
            page=page,
            page_count=len(plan),
            first_number=answered_before + 1,
            last_number=answered_before + len(link_ids),
            item_count=len(inst.items),
            lang=language.value,
            language_notice=_language_notice(inst),
            scored_ids=set(inst.scored_link_ids),
            deadline=_deadline(ctx),
            error_names=answer_review.error_names(
                inst, link_ids, answered_before + 1, language.value
            )
            if form.errors
            else {},
        ),
        status,
    )


@bp.get("/help")
@needs_link()
def help_now(ctx: LinkContext) -> Page:
    after = request.args.get("after", type=small_int) or 0
    # The page the patient was going to when the risk answer was saved: the one before, after
    # "Back" (the help page led on to sending, and the page she went back for was out of
    # reach), or the same page in another language.
    going_to = request.args.get("to", type=small_int) or 0
    next_url = None
    # After the last page the next step is checking and sending: the button says so, since
    # "Continue the questionnaire" read as if questions were left (none are).
    pages_left = False
    if ctx.status is LinkStatus.OPEN:
        plan = answering.page_plan(ctx.instrument)
        if 0 < going_to <= len(plan):
            pages_left, next_url = True, url_for("patient.answer", page=going_to)
        else:
            pages_left = 0 < after < len(plan)
            next_url = (
                url_for("patient.answer", page=after + 1)
                if pages_left
                else url_for("patient.finish")
            )
    return render_template("patient/help.html", ctx=ctx, next_url=next_url, pages_left=pages_left)


@bp.route("/finish", methods=["GET", "POST"])
@needs_link(open_only=True)
def finish(ctx: LinkContext) -> Page:
    inst = ctx.instrument
    plan = answering.page_plan(inst)
    if ctx.next_page() <= len(plan):
        return redirect(url_for("patient.answer", page=ctx.next_page()))
    # A comment "to the service only" is offered after an alliance questionnaire about the
    # patient's own therapy, never after a group form: whether such a comment may be read is
    # decided by how many therapists were responsible for the patients who could have written
    # it (services/service_comments.py), and a comment about a group is about its leaders, who
    # may be one person (docs/groups.md).
    service_only = inst.kind is Kind.ALLIANCE and not inst.is_group_form
    form = forms.FinishForm()
    assert ctx.invitation_id is not None
    switch_to = supported_language(request.form.get("language"))
    change = request.form.get("change")
    if switch_to is not None and form.csrf_token.validate(form):
        # A language chosen in the header (a button of this form): the page again in that
        # language with what was typed in its boxes, and nothing sent. A link lost the typing.
        choose_language(switch_to)
        status = 200
    elif change is not None and form.csrf_token.validate(form):
        # "Change" next to an answer (a button of this form): what was typed in the boxes
        # waits until the patient is back here (services/finish_draft.py). A link lost it.
        keep_draft(
            get_db(),
            ctx.invitation_id,
            Draft(form.topic.data, form.comment.data, form.comment_to.data),
            _now(),
        )
        return redirect(_answer_to_change(plan, change))
    elif request.method == "POST":
        if form.validate_on_submit():
            assert ctx.patient_id is not None
            try:
                answering.submit(
                    get_db(),
                    ctx.invitation_id,
                    language=_questionnaire_language(inst),
                    now=_now(),
                    comment=form.comment.data,
                    comment_to_service_only=service_only and form.comment_to.data == "service",
                    topic=form.topic.data,
                    zone=_zone(),
                )
            except LinkClosedError:
                return _closed_page(answering.load_context(get_db(), ctx.token_id or 0, _now()))
            except ValueError:
                return redirect(_next_step(ctx))
            _grant_progress(ctx.patient_id, ctx.session_generation)
            return redirect(url_for("patient.done"))
        status = 422
    else:
        status = 200
        draft = draft_for(get_db(), ctx.invitation_id)
        if draft is not None:
            form.topic.data, form.comment.data = draft.topic, draft.comment
            form.comment_to.data = draft.comment_to or form.comment_to.data
    return (
        render_template(
            "patient/finish.html",
            ctx=ctx,
            inst=inst,
            form=form,
            service_only=service_only,
            page_count=len(plan),
            lang=_questionnaire_language(inst).value,
            answers=answer_review.reviewed_answers(
                inst, plan, answering.saved_codes(ctx), _questionnaire_language(inst).value
            ),
        ),
        status,
    )


def _answer_to_change(plan: Sequence[Sequence[str]], change: str) -> str:
    """The page and question a "Change" button names ("<page>:<question id>"), checked against
    the questionnaire's own pages; the first page for anything else."""
    number, _, link_id = change.partition(":")
    page = int(number) if number.isdigit() and 1 <= int(number) <= len(plan) else 1
    url = url_for("patient.answer", page=page)
    return f"{url}#{link_id}-group" if link_id in plan[page - 1] else url
