"""The merged docs pages rendered in headless Chromium (Debian's /usr/bin/chromium through
Playwright; no browser is downloaded): Swagger UI draws every operation of the merged
document, and the page asks nothing of any host but the router's own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from router_proxy.asgi import Apps, build_router
from tests.conftest import TEST_SECRET_KEY, Database
from tests.rollout.dashboard.browser import ARGS, ARTIFACTS, CHROMIUM, needs_chromium
from tests.router_proxy.servers import ThreadServer, uvicorn_thread
from tests.router_proxy.test_openapi import converters_app

pytestmark = needs_chromium


@pytest.fixture
def page() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser.new_page(viewport={"width": 1400, "height": 900})
        browser.close()


@pytest.fixture
def router(recordings_db: Database, database_url: str) -> Iterator[ThreadServer]:
    raw = {"flags": {"provider": "static"}}
    overrides = {"secret_key": TEST_SECRET_KEY, "shadow_isolation": "loop"}
    app = build_router(raw, {"DATABASE_URL": database_url}, overrides,
                       apps=Apps(converters_app(), None))  # fmt: skip
    with uvicorn_thread(app) as server:
        yield server


def test_swagger_ui_draws_every_operation_from_local_files(page, router):
    base = f"http://127.0.0.1:{router.port}"
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    page.goto(base + "/_strangler/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    page.screenshot(path=str(ARTIFACTS.parent / "merged-docs-swagger.png"), full_page=True)
    page.get_by_text("Fetch one item").wait_for(timeout=15_000)  # a view's docstring

    expected = {"/items/{item_id}", "/orders/{order_id}", "/prices/{amount}", "/files/{name}",
                "/blobs/{digest}"}  # fmt: skip
    assert expected <= {path.replace("\u200b", "") for path in paths}
    foreign = [url for url in asked if not url.startswith((base, "data:", "blob:"))]
    assert asked and foreign == []
