"""The overview shows the fleet's totals: this router's requests plus those another
router process wrote to the same database's traffic windows."""

from __future__ import annotations

from contextlib import ExitStack

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from rollout.telemetry.windows import WindowStore
from tests.conftest import TEST_SECRET_KEY
from tests.fixtures.rollout import wait_until
from tests.rollout.dashboard.conftest import TOKEN, login
from tests.router_proxy.apps import shadow_apps
from tests.router_proxy.rollout_router import running_router

KEY = "GET /shadowed/{case}"


def test_overview_totals_add_every_router_process(dashboard_db, fleet_db):
    other = WindowStore(fleet_db.url, process_id="other-host:7:aa")
    for _ in range(40):
        other.request(KEY, "legacy", 200, 0.001)
    other.fallback(KEY, "5xx")
    other.fallback(KEY, "5xx")
    other.flush()
    provider = StaticProvider(parse_plan({"routes": {KEY: {"mode": "shadow"}}}))
    with ExitStack() as stack:
        running = stack.enter_context(
            running_router(
                shadow_apps.legacy,
                shadow_apps.new,
                provider,
                env={"SECRET_KEY": TEST_SECRET_KEY, "STRANGLER_DASHBOARD_TOKEN": TOKEN},
                database_url=fleet_db.url,
            )
        )
        for _ in range(3):
            running.get("/shadowed/ok")
        client, _ = login(running.url)

        def total(column: str) -> str:
            page = client.get("/_strangler/").text
            table = page.split('id="totals"', 1)[1].split("</table>", 1)[0]
            return table.split(f'class="num total-{column}">', 1)[1].split("<", 1)[0]

        wait_until(lambda: total("legacy") == "43")
        assert total("fallbacks") == "2"
    other.close()
