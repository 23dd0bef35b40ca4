"""The collector tuning: on while an app serves, the previous settings back after the last."""

from __future__ import annotations

import gc

from fastapi_app import gc_tuning
from fastapi_app.gc_tuning import GEN0_THRESHOLD, tuned


def test_tuning_holds_while_any_holder_runs_and_is_undone_after_the_last():
    before = gc.get_threshold()
    alone = gc_tuning._Holders.count == 0
    with tuned():
        with tuned():
            assert gc.get_threshold()[0] == GEN0_THRESHOLD
        assert gc.get_threshold()[0] == GEN0_THRESHOLD
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    if alone:
        assert gc.get_freeze_count() == 0


def test_a_running_port_is_tuned(port):
    assert port.get("/healthz").status_code == 200
    assert gc.get_threshold()[0] == GEN0_THRESHOLD
