from collections.abc import Mapping

import pytest

from fit_platform.domain.instruments import Instrument, default_instruments


@pytest.fixture(scope="session")
def instruments() -> Mapping[str, Instrument]:
    return default_instruments()


def answers(inst: Instrument, *values: float | None) -> dict[str, float | None]:
    """Answers in scored-item order: answers(phq9, 1, 1, ...)."""
    assert len(values) == len(inst.scored_link_ids)
    return dict(zip(inst.scored_link_ids, values, strict=True))
