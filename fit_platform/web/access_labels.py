"""What each access-log action code means, in words for staff and for patients.

The codes are written by the services that read patient data; every one is listed in
`services/access_log.ACCESS_ACTIONS`, and a test holds both maps here to that list. A code
from before a rename is shown with a general wording.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

# For the administrator's access review.
STAFF_ACTIONS: dict[str, LazyString] = {
    "presession_view": _l("Pre-session view"),
    "scores_view": _l("All scores viewed"),
    "caseload": _l("Caseload list"),
    "ended_list": _l("List of ended treatments"),
    # Opening the form is a read; the saved record is its own code.
    "decision_form": _l("Samvalg form opened"),
    "decision_record": _l("Samvalg decision recorded"),
    "decision_change_form": _l("Samvalg record opened to correct or withdraw it"),
    "decision_correct": _l("Samvalg record corrected"),
    "decision_withdraw": _l("Samvalg record withdrawn as written in error"),
    "signal_acknowledge": _l("Signal acknowledged"),
    "signal_resolve": _l("Signal resolved"),
    "appointments_view": _l("Appointments viewed"),
    "appointment_change": _l("Appointment changed"),
    "appointment_import": _l("Appointments imported"),
    "schedule_view": _l("Questionnaire schedule viewed"),
    "schedule_change": _l("Questionnaire schedule changed"),
    "schedule_rule_added": _l("Questionnaire added to the schedule"),
    "fhir_export": _l("Answers fetched as FHIR"),
    "journal_summary": _l("Journal summary"),
    "admin_episode_list": _l("Administrator's list of a unit's open episodes"),
    "admin_episode_transfer": _l("Episode transferred by an administrator"),
    "admin_episode_close": _l("Episode closed by an administrator"),
    "contact_details_view": _l("Contact details viewed"),
    "contact_details_correct": _l("Contact details corrected"),
    "consent_restart": _l("Questionnaires started again at the patient's request"),
    "own_plan_view": _l("Patient's own plan viewed"),
    "crisis_plan_versions_view": _l("Earlier versions of the crisis plan viewed"),
    "own_days_view": _l("Patient's own days viewed"),
    "own_days_change": _l("Patient's own days changed"),
    "group_view": _l("Group page viewed"),
    "group_member_picker": _l("Listed among the patients who may be added to a group"),
    "admin_patient_lookup": _l("Patient looked up by an administrator"),
    "admin_patient_export": _l("Patient's data exported by an administrator"),
    "admin_patient_erase_review": _l("Erasure of a patient's data reviewed by an administrator"),
}

# For the patient's own "who has looked at your answers" list.
PATIENT_ACTIONS: dict[str, LazyString] = {
    "presession_view": _l("read your answers"),
    "scores_view": _l("read all your scores"),
    "caseload": _l("saw you on their list of patients"),
    "ended_list": _l("saw you on their list of ended treatments"),
    "decision_form": _l("opened the form for recording what you decided together"),
    "decision_record": _l("wrote down what you decided together"),
    "decision_change_form": _l("opened a record of what you decided together"),
    "decision_correct": _l("corrected a record of what you decided together"),
    "decision_withdraw": _l("withdrew a record that had been written in error"),
    "signal_acknowledge": _l("followed up on your answers"),
    "signal_resolve": _l("followed up on your answers"),
    "appointments_view": _l("looked at your appointments"),
    "appointment_change": _l("changed your appointments"),
    "appointment_import": _l("added your appointments"),
    "schedule_view": _l("looked at when you get questions"),
    "schedule_change": _l("changed when you get questions"),
    "schedule_rule_added": _l("added a questionnaire for you"),
    "fhir_export": _l("fetched your answers for your patient record"),
    "journal_summary": _l("made a summary of your answers for your patient record"),
    "admin_episode_list": _l(
        "saw your name on a list of the unit's patients, without your answers"
    ),
    "admin_episode_transfer": _l("moved your treatment to another therapist"),
    "admin_episode_close": _l("closed your course of treatment"),
    "contact_details_view": _l("looked at your phone number and e-mail address"),
    "contact_details_correct": _l("corrected your phone number, e-mail address or language"),
    "consent_restart": _l("started your questionnaires again, as you asked"),
    "own_plan_view": _l("read your crisis plan and your choices"),
    "crisis_plan_versions_view": _l("read the earlier versions of your crisis plan"),
    "own_days_view": _l("looked at which days you get questions"),
    "own_days_change": _l("changed which days you get questions"),
    "group_view": _l("saw you on the page of your group"),
    "group_member_picker": _l(
        "saw your name in a list of the unit's patients who could be added to a group, "
        "without your answers"
    ),
    "admin_patient_lookup": _l("looked you up to handle a request about your data"),
    "admin_patient_export": _l("made a copy of your data for you"),
    "admin_patient_erase_review": _l("checked what of your data could be erased"),
}


def staff_action(code: str) -> str:
    return str(STAFF_ACTIONS.get(code, code))


def patient_action(code: str) -> str:
    label = PATIENT_ACTIONS.get(code)
    return str(label) if label is not None else str(_l("opened your record"))
