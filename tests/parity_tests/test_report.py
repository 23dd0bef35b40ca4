"""The HTML report shows each difference as a JSON path with both values, in a real browser."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from parity_tests.report import render_html, write_html
from parity_tests.results import Mismatch, ParityResult

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path("test-artifacts")


def _failing() -> list[ParityResult]:
    return [
        ParityResult(
            "payment-create",
            "POST /api/v1/payments",
            "write",
            "fail",
            [Mismatch(0, "response", "$.amount_cents", 1250, 1251, "value")],
        ),
        ParityResult("me-api-key", "GET /api/v1/me", "read", "pass"),
    ]


def test_report_lists_routes_paths_and_both_values():
    html = render_html(_failing())
    assert html.index("POST /api/v1/payments") < html.index("GET /api/v1/me")  # failures first
    assert "$.amount_cents" in html and "1250" in html and "1251" in html


def test_report_escapes_values():
    result = ParityResult(
        "x", "GET /x", "read", "fail", [Mismatch(0, "response", "$.a", "<script>", None, "value")]
    )
    assert "<script>" not in render_html([result])


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin")
def test_report_opens_in_headless_chromium_showing_the_diff(tmp_path):
    report = tmp_path / "report.html"
    write_html(_failing(), report)
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "parity-report.png"
    screenshot.unlink(missing_ok=True)
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--screenshot={screenshot.resolve()}",
        "--window-size=1200,700",
        report.resolve().as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    assert screenshot.stat().st_size > 5000
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            report.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=60,
        text=True,
    ).stdout
    assert "$.amount_cents" in dom and "1251" in dom
    assert shutil.which(CHROMIUM)
