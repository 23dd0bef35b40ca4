from __future__ import annotations

import re

import pytest

from rollout.errors import RouteKeyError
from rollout.naming import UNLEASH_NAME_LIMIT, route_flag_name, route_key_for_flag

UNLEASH_NAME = re.compile(r"^[A-Za-z0-9._~-]+$")


@pytest.mark.parametrize(
    ("route_key", "flag_name"),
    [
        pytest.param(
            "GET /api/v1/payments/{payment_id}",
            "route.get.api.v1.payments.~payment_id",
            id="parameter",
        ),
        pytest.param("POST /api/v1/transfers", "route.post.api.v1.transfers", id="plain"),
        pytest.param("GET /", "route.get.~", id="root"),
        pytest.param("GET /a/", "route.get.a.~", id="trailing-slash"),
        pytest.param("GET /a-b/c.d", "route.get.a--b.c-2ed", id="dash-and-dot-escaped"),
        pytest.param("GET /café", "route.get.caf-c3-a9", id="utf-8-escaped"),
        pytest.param("GET /f/{name:path}", "route.get.f.~name~path", id="path-converter"),
        pytest.param("GET /Reports/x~y", "route.get.Reports.x-7ey", id="case-kept-tilde-escaped"),
    ],
)
def test_route_flag_names_are_url_safe_and_reversible(route_key, flag_name):
    assert route_flag_name(route_key) == flag_name
    assert UNLEASH_NAME.match(flag_name)
    assert route_key_for_flag(flag_name) == route_key


@pytest.mark.parametrize(
    "bad", [pytest.param("/no/method", id="no-method"), pytest.param("GET x", id="no-slash")]
)
def test_bad_route_keys_are_refused(bad):
    with pytest.raises(RouteKeyError):
        route_flag_name(bad)


def test_a_typical_route_fits_unleash_name_limit():
    assert len(route_flag_name("POST /api/v1/payments/{payment_id}/refunds")) < UNLEASH_NAME_LIMIT
