from __future__ import annotations

import pytest

from strangler.unleash_local import node_database_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(
            "postgresql://postgres@127.0.0.1:5432/unleash",
            "postgres://postgres@127.0.0.1:5432/unleash",
            id="tcp",
        ),
        pytest.param(
            "postgresql+psycopg2://u:p%40ss@db:6432/unleash",
            "postgres://u:p%40ss@db:6432/unleash",
            id="driver-and-escaped-password",
        ),
        pytest.param(
            "postgresql://postgres:@/unleash?host=/srv/app/.strangler/pgdata",
            "postgres://postgres:@localhost/unleash?host=/srv/app/.strangler/pgdata",
            id="embedded-pgserver-unix-socket",
        ),
    ],
)
def test_node_database_url_keeps_what_server_js_needs(given: str, expected: str) -> None:
    assert node_database_url(given) == expected
