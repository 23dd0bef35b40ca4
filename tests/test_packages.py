"""Every package says what it is for, when to use it, and shows one example that runs."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ["logsafe", "legacy_flask", "fastapi_app", "payments_demo", "router_proxy", "rollout",
            "parity_tests", "strangler"]  # fmt: skip


@pytest.mark.parametrize("name", PACKAGES)
def test_package_docstring_says_when_to_use_it_with_an_example(name):
    package = importlib.import_module(name)
    doc = package.__doc__ or ""
    assert "Use " in doc and "Example:" in doc, f"{name}: say when to use it and show it"
    result = doctest.testmod(package, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 1 and result.failed == 0


@pytest.mark.parametrize(
    "module",
    sorted(m.name for m in pkgutil.walk_packages(importlib.import_module("logsafe").__path__,
                                                  "logsafe.")),
)
def test_logsafe_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 1 and result.failed == 0
