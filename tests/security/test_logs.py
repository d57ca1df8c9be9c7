"""No patient data in logs (docs/security.md, "Logs"): database errors never carry their statement's parameters,
and request logs, of the development server as of gunicorn, leave out the query string (the patients page searches by
name with ?q=)."""

import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from werkzeug.serving import make_server

from notifier.core.logs import log_failure
from notifier.extensions import db

ROOT = Path(__file__).resolve().parents[2]
NAME = "ZÉPHYRINE-SECRETNOM"


def test_a_database_error_is_logged_without_its_parameters_nor_the_databases_detail(app, breach, caplog):
    """PostgreSQL repeats the failing row in its DETAIL line: only the first line of an error is ever logged."""
    with pytest.raises(IntegrityError) as raised:  # NOT NULL: a patient row without its import
        db.session.execute(text("INSERT INTO patient (breach_id, last_name) VALUES (:breach, :name)"),
                           {"breach": breach.id, "name": NAME})
    db.session.rollback()
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(raised.value)
    with caplog.at_level(logging.ERROR):
        log_failure(logging.getLogger("notifier.test"), "storing patients failed", error=raised.value)
    assert re.search(r"storing patients failed: \w+: \S", caplog.text) and 'File "' in caplog.text  # what, where...
    assert NAME not in caplog.text  # ...not with what


def test_an_unhandled_exception_in_a_request_is_logged_without_its_details(app, caplog):
    try:
        raise RuntimeError(f"could not store\nDETAIL: Failing row contains (1, {NAME})")
    except RuntimeError:
        exc_info = sys.exc_info()
    with app.test_request_context(f"/breaches/1/patients?q={NAME}"), caplog.at_level(logging.ERROR):
        app.log_exception(exc_info)
    assert "Exception on /breaches/1/patients [GET]: RuntimeError: could not store" in caplog.text
    assert NAME not in caplog.text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_development_server_logs_requests_without_their_query_string(app, caplog):
    server = make_server("127.0.0.1", free_port(), app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/login?q={NAME.encode().hex()}") as response:
                assert response.status == 200
            time.sleep(0.2)  # the request line is logged after the response
    finally:
        server.shutdown()
    assert "GET /login?… HTTP/1.1" in caplog.text
    assert NAME.encode().hex() not in caplog.text


@pytest.mark.parametrize("backend", ["sqlite"])
def test_gunicorn_logs_requests_without_their_query_string(app, tmp_path):
    port = free_port()
    env = {**os.environ, "NOTIFIER_DATABASE_URL": app.config["DATABASE_URL"], "NOTIFIER_INSTANCE_PATH": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):  # bounded: 20 s
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login?q=SECRETNOM", timeout=1) as response:
                    assert response.status == 200
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.1)
        time.sleep(0.3)
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert '"GET /login HTTP/1.1" 200' in output  # gunicorn.conf.py, read from the working directory
    assert "SECRETNOM" not in output
