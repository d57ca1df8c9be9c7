"""`notifier bench verify`: the public page "is this letter genuine?" under load, as after a news article.

A scratch database (a temporary SQLite file, or a temporary schema of the PostgreSQL server given) is seeded with
N letters of one breach (default 750,000, bulk inserts), each posted (a letter event per letter). gunicorn serves the
app on 127.0.0.1, and wrk (Debian's `wrk`) drives it for a bounded time with a mix of references: 80 % genuine,
10 % unknown (right check character, no letter), 10 % mistyped. The rate limit stays on, with a ceiling no single
address reaches, so its cost is measured too. Prints requests/s, p50 and p99 latency, and the non-2xx count.

Issue 17's aim on the 2-core machine: >= 500 requests/s with p99 < 50 ms."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from notifier.bench.letters import scratch_schema

BATCH = 20_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(letters_count: int, url: str, options: dict[str, Any], scratch: Path) -> tuple[str, list[str], float]:
    """The scratch database with one breach and `letters_count` posted letters; returns the breach reference, a
    sample of genuine references and the seconds the inserts took."""
    from notifier import create_app
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.breaches.models import Breach
    from notifier.extensions import db
    from notifier.letters import services as letters
    from notifier.letters.models import Letter, LetterEvent

    app = create_app({"DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
                      "STORAGE_DIR": str(scratch / "storage"), "SECRET_KEY": uuid.uuid4().hex})
    with app.app_context():
        db.create_all()
        organisation = Organisation(name="CHU de Démonstration")
        establishment = Establishment(organisation=organisation, name="Centre hospitalier de Démonstration")
        db.session.add_all([organisation, establishment])
        db.session.flush()
        from notifier.accounts.models import User

        author = User(email="dpo@bench.example", role="dpo", organisation_id=organisation.id, password_hash="!")
        db.session.add(author)
        db.session.flush()
        breach = Breach(organisation_id=organisation.id, establishment_id=establishment.id,
                        reference="VIO-2026-0001", sections={}, created_by_id=author.id, status="open")
        db.session.add(breach)
        db.session.commit()
        started = time.perf_counter()
        generated = datetime(2026, 3, 16, 9, tzinfo=UTC)
        table = Letter.__table__
        for start in range(1, letters_count + 1, BATCH):
            rows = [{"breach_id": breach.id, "patient_pk": None, "serial": serial,
                     "number": letters.letter_number(serial), "status": "posted", "status_date": date(2026, 3, 17),
                     "generated_at": generated} for serial in range(start, min(start + BATCH, letters_count + 1))]
            db.session.execute(table.insert(), rows)
        db.session.commit()
        from sqlalchemy import insert, literal, select

        db.session.execute(insert(LetterEvent.__table__).from_select(
            ["letter_id", "status", "status_date", "recorded_at", "source"],
            select(Letter.id, literal("posted"), literal(date(2026, 3, 17)), literal(generated), literal("bench"))
            .where(Letter.breach_id == breach.id)))
        db.session.commit()
        seconds = time.perf_counter() - started
        rng = random.Random(17)
        sample = [letters.letter_reference(breach.reference, letters.letter_number(rng.randint(1, letters_count)))
                  for _ in range(4000)]
        reference = breach.reference
        db.session.remove()
        db.engine.dispose()
    return reference, sample, seconds


def _paths(breach_reference: str, genuine: list[str], letters_count: int) -> list[str]:
    """The requests of the load, in order: 80 % genuine, 10 % unknown and 10 % mistyped references, 80 % of them on
    the French page."""
    from notifier.letters import services as letters

    rng = random.Random(33)
    paths = []
    for index, reference in enumerate(genuine):
        if index % 10 == 8:  # unknown: numbers past the last serial, with their right check character
            reference = letters.letter_reference(breach_reference, letters.letter_number(letters_count + 1 + index))
        elif index % 10 == 9:  # mistyped: the check character changed
            reference = reference[:-1] + ("A" if reference[-1] != "A" else "B")
        paths.append(("/verifier" if rng.random() < 0.8 else "/verify") + "?reference=" + reference)
    return paths


def _wrk_script(path: Path, breach_reference: str, genuine: list[str], letters_count: int) -> None:
    """A Lua script for wrk that cycles through the paths of the load (`_paths`)."""
    _write_wrk_script(path, _paths(breach_reference, genuine, letters_count))


def _write_wrk_script(path: Path, paths: list[str]) -> None:
    lua = "paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n" + (
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  return wrk.format('GET', paths[(counter % #paths) + 1])\n"
        "end\n")
    path.write_text(lua, encoding="utf-8")


def _wait_until_up(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/verifier", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within a minute")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, p50, p99 (ms), requests, non-2xx responses and socket errors from `wrk --latency` output."""
    result: dict[str, Any] = {}
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result["requests_per_second"] = float(match.group(1)) if match else 0.0
    for name, pattern in (("p50_ms", r"^\s+50%\s+(\S+)"), ("p99_ms", r"^\s+99%\s+(\S+)")):
        found = re.search(pattern, output, re.MULTILINE)
        result[name] = round(_ms(found.group(1)), 2) if found else None
    total = re.search(r"(\d+) requests in", output)
    result["requests"] = int(total.group(1)) if total else 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    errors = re.search(r"Socket errors:(.*)", output)
    result["socket_errors"] = errors.group(1).strip() if errors else ""
    return result


def load_tool() -> str:
    """"wrk" when Debian's wrk is installed, else "python": a load client of the standard library, which costs more
    CPU per request than wrk on the same two cores (its figures are then a lower bound of the server's)."""
    return "wrk" if shutil.which("wrk") else "python"


def run(letters_count: int = 750_000, *, duration: int = 20, connections: int = 16, workers: int = 3,
        threads: int = 1, baseline_duration: int | None = None, database_url: str | None = None,
        tool: str | None = None, keep: bool = False) -> dict[str, Any]:
    """Seeds, serves with gunicorn (`threads` > 1: gthread workers), then drives first the login page for
    `baseline_duration` seconds (the same gunicorn and machine: what this run's machine gives any page), then the
    verification page for `duration` seconds. The load average is read before and after each."""
    tool = tool or load_tool()
    scratch = Path(tempfile.mkdtemp(prefix="notifier-bench-verify-"))
    url = database_url or f"sqlite:///{scratch / 'bench.db'}"
    baseline_duration = min(duration, 10) if baseline_duration is None else baseline_duration
    result: dict[str, Any] = {"letters": letters_count, "duration_s": duration, "connections": connections,
                              "gunicorn_workers": workers, "gunicorn_threads": threads, "tool": tool,
                              "database": "postgresql" if database_url else "sqlite", "cpus": os.cpu_count()}
    try:
        with scratch_schema(url) as options:
            reference, sample, seconds = seed(letters_count, url, options, scratch)
            result["seed_seconds"] = round(seconds, 1)
            paths = _paths(reference, sample, letters_count)
            port = _free_port()
            env = {**os.environ, "NOTIFIER_DATABASE_URL": url, "NOTIFIER_SECRET_KEY": uuid.uuid4().hex,
                   "NOTIFIER_INSTANCE_PATH": str(scratch / "instance"),
                   "NOTIFIER_STORAGE_DIR": str(scratch / "storage"),
                   "NOTIFIER_SQLALCHEMY_ENGINE_OPTIONS": json.dumps(options),
                   "NOTIFIER_VERIFY_RATE_LIMIT": "10000000 per minute"}
            worker_class = ["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []
            log = (scratch / "gunicorn.log").open("wb")  # read by nobody during the run: a pipe could fill and block
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", str(workers), *worker_class,
                 "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "notifier.wsgi:app"], env=env,
                cwd=scratch, stdout=subprocess.DEVNULL, stderr=log)
            try:
                _wait_until_up(port, server)
                if baseline_duration:
                    result["baseline"] = _measured(tool, port, ["/login"], connections, baseline_duration, scratch)
                result.update(_measured(tool, port, paths, connections, duration, scratch))
            finally:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                log.close()
            result["server_errors"] = _errors_logged(scratch / "gunicorn.log")
            result["counted"] = _counted(url, options)
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return result


def _measured(tool: str, port: int, paths: list[str], connections: int, duration: int,
              scratch: Path) -> dict[str, Any]:
    before = os.getloadavg()[0]
    if tool == "wrk":
        script = scratch / "load.lua"
        _write_wrk_script(script, paths)
        output = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script),
             f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=duration + 60,
            check=True).stdout
        figures = parse_wrk(output)
    else:
        figures = python_load(port, paths, connections, duration)
    figures["load_average"] = [round(before, 2), round(os.getloadavg()[0], 2)]
    return figures


def python_load(port: int, paths: list[str], connections: int, duration: float) -> dict[str, Any]:
    """The load without wrk: `connections` threads, each sending the paths in turn over one keep-alive connection
    (opened again when the server closes it), for `duration` seconds. The same figures as `parse_wrk`."""
    import http.client
    import threading

    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures = [0] * connections
    errors = [0] * connections
    stop = time.perf_counter() + duration

    def client(index: int) -> None:
        connection = None
        position = index
        while time.perf_counter() < stop:
            path = paths[position % len(paths)]
            position += connections
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                if response.will_close:
                    connection.close()
                    connection = None
            except OSError:
                errors[index] += 1
                connection = None
                continue
            latencies[index].append(time.perf_counter() - started)
            if not 200 <= response.status < 400:
                failures[index] += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(latency for per_thread in latencies for latency in per_thread)

    def percentile(q: float) -> float | None:
        return round(every[min(len(every) - 1, int(q * len(every)))] * 1000, 2) if every else None

    return {"requests_per_second": round(len(every) / elapsed, 2), "p50_ms": percentile(0.50),
            "p99_ms": percentile(0.99), "requests": len(every), "non_2xx": sum(failures),
            "socket_errors": f"{sum(errors)} connection errors" if sum(errors) else ""}


def _errors_logged(path: Path) -> int:
    """Lines of gunicorn's log at level ERROR (an exception in a worker, a worker killed)."""
    return sum(1 for line in path.read_text(errors="replace").splitlines() if "[ERROR]" in line)


def _counted(url: str, options: dict[str, Any]) -> dict[str, int]:
    """What the page counted during the run (the counters it wrote), by outcome."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, **options)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT outcome, SUM(count) FROM verification_count GROUP BY outcome")).all()
    finally:
        engine.dispose()
    return {outcome: int(n) for outcome, n in rows}


def format_result(result: dict[str, Any]) -> str:
    aim = result["requests_per_second"] >= 500 and (result["p99_ms"] or 1e9) < 50
    tool = ("wrk" if result["tool"] == "wrk" else
            "a Python load client (wrk is not installed: apt-get install wrk; figures are a lower bound)")
    lines = [
        f"letters in the database: {result['letters']:,} ({result['database']}, seeded in {result['seed_seconds']} s)",
        f"load: {tool}, {result['connections']} connections against gunicorn ({result['gunicorn_workers']} workers"
        + (f" x {result['gunicorn_threads']} threads, gthread" if result["gunicorn_threads"] > 1 else ", sync")
        + f") on 127.0.0.1, {result['cpus']} CPUs",
    ]
    baseline = result.get("baseline")
    if baseline:
        lines.append("baseline, GET /login (same gunicorn, same run): "
                     f"{baseline['requests_per_second']:.0f} requests/s, p50 {baseline['p50_ms']} ms, "
                     f"p99 {baseline['p99_ms']} ms, non-2xx {baseline['non_2xx']}, load average "
                     f"{baseline['load_average'][0]} -> {baseline['load_average'][1]}")
    lines += [
        f"verification page for {result['duration_s']} s: {result['requests_per_second']:.0f} requests/s, "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, load average "
        f"{result['load_average'][0]} -> {result['load_average'][1]}",
        f"requests: {result['requests']:,}, non-2xx: {result['non_2xx']}"
        + (f", socket errors: {result['socket_errors']}" if result["socket_errors"] else ""),
        f"counted by the page: {result['counted']}; errors in gunicorn's log: {result['server_errors']}",
        f"aim (>= 500 requests/s, p99 < 50 ms): {'met' if aim else 'NOT met'}",
    ]
    if baseline and baseline["requests_per_second"]:
        lines.append(f"verification / baseline: {result['requests_per_second'] / baseline['requests_per_second']:.2f}"
                     " x the login page's requests/s")
    return "\n".join(lines)
