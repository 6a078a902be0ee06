"""Who was responsible for an episode at a given moment, from who is now and the transfers since.

Responsibility for an episode changes only when an administrator transfers it (one audit row
per episode, with the responsible therapists before and after: services/episodes_admin.py);
registration sets the first. So the therapists responsible at a moment are those before the
first transfer after it, or, with none after it, those responsible now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Transfer:
    at: dt.datetime
    before: frozenset[int]


def responsible_at(
    now_responsible: frozenset[int], transfers: Iterable[Transfer], moment: dt.datetime
) -> frozenset[int]:
    """The staff ids responsible at `moment`, given those responsible now and the episode's
    transfers (in any order)."""
    later = [transfer for transfer in transfers if transfer.at > moment]
    if not later:
        return now_responsible
    return min(later, key=lambda transfer: transfer.at).before
