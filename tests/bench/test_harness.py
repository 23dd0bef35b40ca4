from __future__ import annotations

import pytest

from bench.harness import BenchError, parse_wrk, run_wrk, write_section

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8000/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.01ms    1.20ms  30.00ms   90.00%
  Latency Distribution
     50%    6.80ms
     75%    7.20ms
     90%    8.10ms
     99%  950.00us
  35120 requests in 5.00s, 4.10MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:   7023.95
Transfer/sec:    840.12KB
"""


def test_parse_wrk_reads_rate_percentiles_and_errors() -> None:
    result = parse_wrk(WRK_OUTPUT)
    assert result.rps == pytest.approx(7023.95)
    assert result.p50_ms == pytest.approx(6.8)
    assert result.p99_ms == pytest.approx(0.95)
    assert result.errors == 12
    assert result.requests == 35120


def test_parse_wrk_rejects_garbage() -> None:
    with pytest.raises(BenchError):
        parse_wrk("connection refused")


def test_wrk_only_targets_loopback() -> None:
    with pytest.raises(BenchError, match=r"127\.0\.0\.1"):
        run_wrk("http://10.0.0.1:80/", connections=1, seconds=1)


def test_write_section_replaces_only_its_block(tmp_path, monkeypatch) -> None:
    results = tmp_path / "RESULTS.md"
    monkeypatch.setattr("bench.harness.RESULTS", results)
    write_section("a", "first")
    write_section("b", "second")
    write_section("a", "third")
    text = results.read_text()
    assert "third" in text and "second" in text and "first" not in text
    assert text.index("bench:a") < text.index("bench:b")
