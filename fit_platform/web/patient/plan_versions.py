"""The earlier versions of the patient's crisis plan, on the patient blueprint:

    GET  /p/my-crisis-plan/versions                 every saved version, newest first
    POST /p/my-crisis-plan/versions/<id>/restore    take an earlier version back as the plan

Behind the same rule as the crisis-plan page (an open link in this browser, or a one-time code
just given). Taking a version back saves its words as a new version: nothing is deleted, so the
history still shows what came between.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from fit_platform.extensions import get_db, limiter
from fit_platform.services import own_plan, plan_versions
from fit_platform.services.link_context import LinkContext
from fit_platform.web.form_base import FitForm
from fit_platform.web.formatting import format_datetime
from fit_platform.web.patient.blueprint import Page, _now, bp, needs_link
from fit_platform.web.patient.own_plan import _check_first, _may_open


class RestoreForm(FitForm):
    pass


@bp.route("/my-crisis-plan/versions")
@needs_link()
def crisis_plan_versions(ctx: LinkContext) -> Page:
    if not _may_open(ctx):
        return _check_first(ctx, "crisis_plan")
    assert ctx.patient_id is not None
    versions = plan_versions.patient_versions(get_db(), ctx.patient_id)
    return render_template("patient/own_crisis_plan_versions.html", ctx=ctx, versions=versions)


@bp.route("/my-crisis-plan/versions/<int:version_id>/restore", methods=["POST"])
@limiter.limit("30 per minute")
@needs_link()
def restore_crisis_plan_version(ctx: LinkContext, version_id: int) -> Page:
    if not _may_open(ctx):
        return _check_first(ctx, "crisis_plan")
    assert ctx.patient_id is not None
    if not RestoreForm().validate_on_submit():
        flash(_("That did not work. Please try again."), "error")
        return redirect(url_for("patient.crisis_plan_versions"))
    try:
        restored = plan_versions.restore_version(get_db(), ctx.patient_id, version_id, _now())
    except own_plan.OwnPlanError:
        abort(404)
    # Named by its number and time, as on the versions page, so she can tell which one it was.
    source = {
        "num": restored.source.number,
        "when": format_datetime(restored.source.at, "short"),
    }
    flash(
        _(
            "Your crisis plan is restored from the version of %(when)s (version %(num)d)."
            " It is saved as a new version.",
            **source,
        )
        if restored.saved
        else _("The version of %(when)s (version %(num)d) is already your crisis plan.", **source)
    )
    return redirect(url_for("patient.crisis_plan"))
