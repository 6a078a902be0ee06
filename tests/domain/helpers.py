from fit_platform.domain.instruments import Instrument


def answers(inst: Instrument, *values: float | None) -> dict[str, float | None]:
    """Answers in scored-item order: answers(phq9, 1, 1, ...)."""
    assert len(values) == len(inst.scored_link_ids)
    return dict(zip(inst.scored_link_ids, values, strict=True))
