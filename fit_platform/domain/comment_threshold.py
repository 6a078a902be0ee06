"""When the comments patients send "to the service only" may be read as text.

A comment is words, not a count: the export's rule (no figure from fewer than five patients)
protects the patient, but a comment about "my therapist" points at a person whenever the
reader knows who treats there. In a unit where one therapist treats everyone who answered, an
anonymous comment about the working relationship is a comment about that therapist, and with
few patients it may point at the patient too. So the texts of a unit and quarter are shown
only when at least :data:`~fit_platform.domain.small_cells.MIN_PATIENTS_PER_CELL` patients
answered an alliance questionnaire there in the quarter, at least
:data:`MIN_THERAPISTS_FOR_COMMENTS` therapists were responsible for those patients when they
answered, and no one of them for more than half of the patients: three therapists of whom one
treats nearly everyone still make "my therapist" that one person (``docs/export.md``,
"Comments to the service").
"""

from __future__ import annotations

from dataclasses import dataclass

from fit_platform.domain.small_cells import too_small

# Three, not two: with two therapists a critical comment is one of two people, a coin toss a
# colleague who knows the caseloads often settles; with three the reader can no longer tell,
# and units that have fewer still have their comments read pooled with the other such units.
MIN_THERAPISTS_FOR_COMMENTS = 3


@dataclass(frozen=True)
class CommentPool:
    """Who could have written the comments of a unit (or of several units together) in a
    quarter: the patients who answered an alliance questionnaire there, the therapists
    responsible for them when they answered, and how many of the patients the busiest of those
    therapists was responsible for."""

    patients: int
    therapists: int
    busiest_therapists_patients: int

    @property
    def too_few_patients(self) -> bool:
        return too_small(self.patients)

    @property
    def too_few_therapists(self) -> bool:
        return self.therapists < MIN_THERAPISTS_FOR_COMMENTS

    @property
    def one_therapist_dominates(self) -> bool:
        """One therapist was responsible for more than half of the patients: a comment about
        "my therapist" is then more likely than not about that person, however many others
        there are (a dominance rule, as statistical offices apply to business figures)."""
        return self.busiest_therapists_patients * 2 > self.patients

    @property
    def readable(self) -> bool:
        """True when the texts may be shown: enough patients, enough therapists, and none of
        them responsible for more than half of the patients."""
        return not (
            self.too_few_patients or self.too_few_therapists or self.one_therapist_dominates
        )
