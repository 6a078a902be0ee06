from collections.abc import Mapping

import pytest

from fit_platform.domain.instruments import Instrument, default_instruments


@pytest.fixture(scope="session")
def instruments() -> Mapping[str, Instrument]:
    return default_instruments()
