"""The port's pinned connection outlives an app that terminates or closes it."""

from __future__ import annotations

import asyncio

import asyncpg  # type: ignore[import-untyped]
import pytest

from parity_tests.isolation import PinnedPool


@pytest.mark.parametrize("discard", ["terminate", "close"])
def test_app_discarding_its_connection_keeps_the_outer_transaction(database_url, discard):
    async def main() -> int:
        conn = await asyncpg.connect(database_url)
        outer = conn.transaction()
        await outer.start()
        try:
            await conn.execute("CREATE TEMP TABLE pinned_probe (n int) ON COMMIT DROP")
            async with PinnedPool(conn).acquire() as borrowed:
                await borrowed.execute("INSERT INTO pinned_probe VALUES (1)")
                result = getattr(borrowed, discard)()
                if asyncio.iscoroutine(result):
                    await result
            return int(await conn.fetchval("SELECT count(*) FROM pinned_probe"))
        finally:
            await outer.rollback()
            await conn.close()

    assert asyncio.run(main()) == 1
