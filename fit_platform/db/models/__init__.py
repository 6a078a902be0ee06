"""All models, importable from one place (Alembic's autogenerate sees them through this)."""

from fit_platform.db.models.audit import AccessLog, AdminAudit, ExportAudit
from fit_platform.db.models.export_summary import (
    ExportSummaryState,
    InvitationMonth,
    ResponseMonth,
    ResponseSpan,
)
from fit_platform.db.models.forms import FormSubmission, KeptTyping
from fit_platform.db.models.groups import (
    GroupAttendance,
    GroupMember,
    GroupSession,
    GroupTherapist,
    TherapyGroup,
)
from fit_platform.db.models.identity import StaffExternalIdentity
from fit_platform.db.models.organisation import (
    LoginFailureByAddress,
    Programme,
    Staff,
    StaffInvite,
    StaffRecoveryCode,
    StaffRole,
    StaffSession,
    Unit,
    UnitInstrument,
)
from fit_platform.db.models.own_plan import (
    CrisisPlanVersion,
    ErasureInProgress,
    StandingChoiceEvent,
)
from fit_platform.db.models.patients import (
    Appointment,
    ConsentEvent,
    Episode,
    EpisodeTherapist,
    Patient,
    PatientGoal,
    SessionTopic,
)
from fit_platform.db.models.responses import (
    FinishDraft,
    ItemAnswer,
    OneTimeCode,
    Response,
    ResponseComment,
    ServiceFeedback,
    SharedDecision,
    SharedDecisionEarlier,
    Signal,
)
from fit_platform.db.models.scheduling import (
    Invitation,
    InvitationToken,
    OutboxMessage,
    SchedulePlan,
    ScheduleRule,
)

__all__ = [
    "AccessLog",
    "AdminAudit",
    "Appointment",
    "ConsentEvent",
    "CrisisPlanVersion",
    "Episode",
    "EpisodeTherapist",
    "ErasureInProgress",
    "ExportAudit",
    "ExportSummaryState",
    "FinishDraft",
    "FormSubmission",
    "GroupAttendance",
    "GroupMember",
    "GroupSession",
    "GroupTherapist",
    "Invitation",
    "InvitationMonth",
    "InvitationToken",
    "ItemAnswer",
    "KeptTyping",
    "LoginFailureByAddress",
    "OneTimeCode",
    "OutboxMessage",
    "Patient",
    "PatientGoal",
    "Programme",
    "Response",
    "ResponseComment",
    "ResponseMonth",
    "ResponseSpan",
    "SchedulePlan",
    "ScheduleRule",
    "ServiceFeedback",
    "SessionTopic",
    "SharedDecision",
    "SharedDecisionEarlier",
    "Signal",
    "Staff",
    "StaffExternalIdentity",
    "StaffInvite",
    "StaffRecoveryCode",
    "StaffRole",
    "StaffSession",
    "StandingChoiceEvent",
    "TherapyGroup",
    "Unit",
    "UnitInstrument",
]

# The append-only guard and its triggers belong to these tables wherever they are created.
from fit_platform.db import append_only  # noqa: F401
