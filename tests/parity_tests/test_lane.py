"""A lane runs coroutines on its own thread and hands back results and errors."""

from __future__ import annotations

import asyncio
import threading

import pytest

from parity_tests.lane import Lane


async def thread_name() -> str:
    return threading.current_thread().name


async def fails() -> None:
    raise ValueError("from the lane")


def test_work_runs_on_the_lane_thread_while_the_caller_loop_stays_free() -> None:
    async def main() -> tuple[str, str]:
        with Lane("lane-under-test") as lane:
            blocked = lane.run(asyncio.to_thread(lambda: None))
            return await lane.run(thread_name()), (await asyncio.gather(blocked, thread_name()))[1]

    on_lane, on_caller = asyncio.run(main())
    assert on_lane == "lane-under-test"
    assert on_caller == "MainThread"


def test_errors_reach_the_caller_and_close_is_idempotent() -> None:
    async def main() -> None:
        lane = Lane()
        try:
            await lane.run(fails())
        finally:
            lane.close()
            lane.close()

    with pytest.raises(ValueError, match="from the lane"):
        asyncio.run(main())
