"""The route table: keys, flag names, merging by shape, matching, and its speed."""

from __future__ import annotations

import time

import pytest

from rollout.naming import route_flag_name, route_key_for_flag
from router_proxy.routes import RouteSpec, RouteTable, build_route_table
from tests.router_proxy.apps import fastapi_app, flask_app


@pytest.fixture(scope="module")
def table() -> RouteTable:
    return build_route_table(flask_app.app, fastapi_app.app)


@pytest.mark.parametrize(
    ("method", "path", "key", "legacy", "new"),
    [
        pytest.param(
            "GET", "/items/5", "GET /items/{item_id}", True, True, id="int-converter-both"
        ),
        pytest.param("HEAD", "/items/5", "GET /items/{item_id}", True, True, id="head-follows-get"),
        pytest.param("GET", "/new-only", "GET /new-only", False, True, id="new-only"),
        pytest.param("POST", "/upload", "POST /upload", True, False, id="legacy-only-write"),
        pytest.param("GET", "/files/a/b/c", "GET /files/{name:path}", True, False, id="path-conv"),
    ],
)
def test_match(table, method, path, key, legacy, new):
    info = table.match(method, path)
    assert info is not None
    assert (info.key, info.in_legacy, info.in_new) == (key, legacy, new)
    assert info.is_write is (method == "POST")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/items/abc", id="legacy-int-converter-rejects"),
        pytest.param("GET", "/dir", id="flask-would-redirect"),
        pytest.param("DELETE", "/both", id="unknown-method"),
        pytest.param("GET", "/nothing/here", id="unknown-path"),
    ],
)
def test_unmatched_paths_are_unknown(table, method, path):
    assert table.match(method, path) is None


def test_routes_merge_by_shape_and_keep_legacy_names():
    table = RouteTable(
        [
            RouteSpec("GET", "/a/{id}", r"/a/(?:\d+)", True, False),
            RouteSpec("GET", "/a/{account_id}", r"/a/(?:[^/]+)", False, True),
        ]
    )
    [info] = list(table)
    assert (info.key, info.in_legacy, info.in_new) == ("GET /a/{id}", True, True)


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        pytest.param("GET", "/items/5", "route.get.items.~item_id", id="parameter"),
        pytest.param("GET", "/files/a/b", "route.get.files.~name~path", id="path-converter"),
        pytest.param("POST", "/upload", "route.post.upload", id="write"),
    ],
)
def test_the_table_names_flags_as_the_flag_stores_do(table, method, path, name):
    info = table.match(method, path)
    assert info is not None
    assert info.flag_name == name == route_flag_name(info.key)
    assert route_key_for_flag(info.flag_name) == info.key


def test_static_beats_dynamic_in_one_bucket():
    table = RouteTable(
        [
            RouteSpec("GET", "/u/{name}", r"/u/(?:[^/]+)", True, False),
            RouteSpec("GET", "/u/me", "/u/me", False, True),
        ]
    )
    assert getattr(table.match("GET", "/u/me"), "key", None) == "GET /u/me"
    assert getattr(table.match("GET", "/u/bob"), "key", None) == "GET /u/{name}"


def test_matching_1000_routes_is_fast():
    specs = []
    for i in range(250):
        specs.append(RouteSpec("GET", f"/r{i}/static", f"/r{i}/static", True, False))
        specs.append(RouteSpec("GET", f"/r{i}/{{x}}", f"/r{i}/(?:\\d+)", True, True))
        specs.append(RouteSpec("POST", f"/r{i}/{{x}}/sub", f"/r{i}/(?:\\d+)/sub", True, True))
        specs.append(
            RouteSpec(
                "GET", f"/api/v{i}/{{x}}/{{y}}", f"/api/v{i}/(?:[^/]+)/(?:[^/]+)", False, True
            )
        )
    table = RouteTable(specs)
    assert len(table) == 1000
    paths = [
        ("GET", "/r249/static"),
        ("GET", "/r17/42"),
        ("POST", "/r200/7/sub"),
        ("GET", "/api/v249/a/b"),
        ("GET", "/nope/x"),
    ]
    rounds = 20_000
    began = time.perf_counter()
    for _ in range(rounds):
        for method, path in paths:
            table.match(method, path)
    per_match_us = (time.perf_counter() - began) / (rounds * len(paths)) * 1e6
    assert getattr(table.match("GET", "/api/v249/a/b"), "key", None) == "GET /api/v249/{x}/{y}"
    assert per_match_us < 10, f"{per_match_us:.2f} us per match"
