"""One ``strangler up`` stack shared by the deployment tests of a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deploy.stack import Stack, running_up


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Stack]:
    with running_up(tmp_path_factory.mktemp("up"), database_url) as running:
        yield running
