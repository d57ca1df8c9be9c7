"""`notifier bench verify` reads wrk's report: requests/s, p50 and p99 in milliseconds whatever wrk's unit, the
non-2xx responses and socket errors (the figures themselves are measured by the command, never asserted here)."""

from notifier.bench.verify import _wrk_script, parse_wrk

WRK_OUTPUT = """Running 20s test @ http://127.0.0.1:41234
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    42.10ms   20.31ms 310.50ms   80.12%
    Req/Sec   176.20     40.11   260.00     70.00%
  Latency Distribution
     50%   850.00us
     75%   52.10ms
     90%   70.00ms
     99%    1.24s
  7071 requests in 20.10s, 21.30MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
  Non-2xx or 3xx responses: 2
Requests/sec:    351.79
Transfer/sec:      1.06MB
"""


def test_the_wrk_report_is_read_in_milliseconds():
    result = parse_wrk(WRK_OUTPUT)
    assert result["requests_per_second"] == 351.79 and result["requests"] == 7071
    assert result["p50_ms"] == 0.85 and result["p99_ms"] == 1240.0
    assert result["non_2xx"] == 2 and result["socket_errors"] == "connect 0, read 0, write 0, timeout 3"


def test_the_load_mixes_genuine_unknown_and_mistyped_references_in_both_languages(tmp_path):
    from notifier.letters import services as letters
    from notifier.verification.services import split_reference

    genuine = [letters.letter_reference("VIO-2026-0001", letters.letter_number(n)) for n in range(1, 101)]
    script = tmp_path / "verify.lua"
    _wrk_script(script, "VIO-2026-0001", genuine, 100)
    paths = [line for line in script.read_text().split('"') if line.startswith("/veri")]
    assert len(paths) == 100 and {p.split("?")[0] for p in paths} == {"/verifier", "/verify"}
    checks = [split_reference(p.split("reference=")[1]) for p in paths]
    assert sum(1 for c in checks if c[2]) == 90 and sum(1 for c in checks if not c[2]) == 10


def test_without_wrk_the_python_client_reports_the_same_figures(monkeypatch):
    """The fallback load client: every answer counted, the non-2xx ones apart, p50 and p99 in milliseconds."""
    import threading

    from werkzeug.serving import make_server

    from notifier.bench import verify as bench

    def tiny(environ, start_response):
        status = "200 OK" if environ["PATH_INFO"] == "/ok" else "404 Not Found"
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = make_server("127.0.0.1", 0, tiny, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = bench.python_load(server.server_port, ["/ok", "/ok", "/ok", "/missing"], 2, 0.3)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert result["requests"] >= 4 and 1 <= result["non_2xx"] < result["requests"]
    assert 0 < result["p50_ms"] <= result["p99_ms"] and result["socket_errors"] == ""
    monkeypatch.setattr(bench.shutil, "which", lambda name: None)
    assert bench.load_tool() == "python"
