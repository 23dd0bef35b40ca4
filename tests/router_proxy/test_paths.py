"""A22, one path, one decision: a path that a normalising backend would read as another
route never reaches a backend (400), in process and remote, against the real apps and
servers; a path whose normal form selects the same route goes on byte for byte."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from router_proxy.paths import canonical, is_canonical
from tests.router_proxy import rawhttp
from tests.router_proxy.conftest import RouterFactory

PLAN = {"routes": {"GET /items/{item_id}": {"mode": "new"}, "POST /echo-body": {"mode": "new"}}}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/x/../hello", "/hello", id="dot-dot"),
        pytest.param("/a/./b", "/a/b", id="dot"),
        pytest.param("//api/v1/payments", "/api/v1/payments", id="leading-double-slash"),
        pytest.param("/a//b", "/a/b", id="inner-double-slash"),
        pytest.param("/a/", "/a/", id="trailing-slash-kept"),
        pytest.param("/a/..", "/", id="dot-dot-at-end"),
        pytest.param("/../../etc", "/etc", id="above-the-root"),
        pytest.param("/.well-known/x", "/.well-known/x", id="dotfile-segment-kept"),
    ],
)
def test_canonical(path, expected):
    assert canonical(path) == expected
    assert is_canonical(expected) or "/." in expected


@pytest.fixture(scope="module", params=["inprocess", "remote"])
def flagged(request: pytest.FixtureRequest, make_router: RouterFactory) -> Iterator[int]:
    with make_router(request.param, plan=PLAN) as server:
        yield server.port


@pytest.mark.parametrize(
    ("method", "target"),
    [
        pytest.param("GET", "/x/../items/5", id="dot-dot-into-a-new-route"),
        pytest.param("GET", "/%2e%2e/items/5", id="encoded-dot-dot"),
        pytest.param("GET", "/items/./5", id="dot"),
        pytest.param("GET", "//items/5", id="leading-double-slash"),
        pytest.param("GET", "/items//5", id="inner-double-slash"),
        pytest.param("POST", "//echo-body", id="write-with-leading-double-slash"),
    ],
)
def test_a_path_that_normalises_into_another_route_is_refused(flagged, method, target):
    answer = rawhttp.request(flagged, method, target, body=b"x" if method == "POST" else b"")

    assert answer.status == 400
    assert answer.header("x-served-by") == "router"
    assert b'"ambiguous_path"' in answer.body


def test_the_flag_still_applies_to_the_normal_form(flagged):
    assert rawhttp.request(flagged, "GET", "/items/5").header("x-served-by") == "new"


def test_a_double_slash_inside_the_same_route_goes_through_untouched(flagged):
    answer = rawhttp.request(flagged, "GET", "/files/a//b.txt")

    assert answer.status == 200
    assert answer.header("x-served-by") == "legacy"
    assert answer.body == b"file a//b.txt"
