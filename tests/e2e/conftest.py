"""End-to-end fixtures: the app served on a free local port with a fresh database, driven by the system Chromium.

No test downloads a browser: without /usr/bin/chromium (Debian package `chromium`, which `make test` installs when
run as root) these tests are skipped with that reason."""

import shutil
import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from notifier import create_app
from notifier.extensions import db

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def pytest_collection_modifyitems(config, items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: install the Debian package `chromium`")
        for item in items:
            if "/e2e/" in str(item.path):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris",
            "viewport": {"width": 1280, "height": 900}, "accept_downloads": True}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    app = create_app({
        "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": str(tmp_path / "storage"),
        "SECRET_KEY": "e2e-secret", "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False,
        "LETTER_WORKERS": 1,
        # The audit trail starts afresh with each database: its keys and signed checkpoints too (a checkpoint left by
        # an earlier test's database would rightly make this one's trail read as broken).
        "AUDIT_KEY": "e2e-audit-chain-key",
        "AUDIT_SIGNING_KEY": str(tmp_path / "audit_signing_key"),
        "AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl"),
    })
    with app.app_context():
        db.create_all()
    return app


def _closed_at_once(app):
    """The app with each response read whole and closed before werkzeug's development server sends it. That server
    drains the socket before it closes the response; when Chromium drops the connection there (a navigation it
    aborts: a reload crossing the page's own), the drain raises and the response is never closed, so the static
    file it was sending (favicon.svg) leaks: a ResourceWarning in whichever test runs next. gunicorn closes it."""

    def buffered(environ, start_response):
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return buffered


@pytest.fixture
def live_server(live_app):
    """Serves live_app on 127.0.0.1:<free port> in a thread; yields its base URL."""
    port = _free_port()
    server = make_server("127.0.0.1", port, _closed_at_once(live_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)
    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture
def shots(request):
    """Saves numbered full-page screenshots under test-output/e2e/<test name>/."""
    folder = Path(__file__).resolve().parents[2] / "test-output" / "e2e" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def shot(page, name: str) -> Path:
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shot


def serious_violations(page) -> list[dict]:
    """Runs axe-core (vendored, WCAG 2 A and AA rules) on the page as it is now; returns its serious and critical
    violations, each with its rule, help text and the first offending elements."""
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")  # by the DevTools protocol: the page's CSP does not apply
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
def accessibility():
    """``accessibility(page)``: the serious and critical axe-core violations of the current page (``== []``)."""
    return serious_violations


@pytest.fixture
def assert_accessible():
    """``assert_accessible(page, "where")``: fails, naming the page and each rule broken, when axe-core finds a
    serious or critical violation (contrast, labels, landmarks...). For any e2e test."""

    def check(page, where: str = "") -> None:
        found = serious_violations(page)
        assert not found, f"axe-core on {where or page.url}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in found)

    return check


@pytest.fixture
def screenshot():
    """``screenshot(page, "name")``: the full page as test-output/screenshots/<name>-<viewport width>.png."""
    folder = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = folder / f"{name}-{page.viewport_size['width']}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


class Inbox:
    """aiosmtpd handler: keeps every message accepted, with a Postfix-like queue id."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return f"250 2.0.0 Ok: queued as E{len(self.messages):05d}"


@pytest.fixture
def relay(live_app):
    """A real SMTP server on 127.0.0.1 that the live app (and the job process it starts) sends through."""
    from aiosmtpd.controller import Controller

    port = _free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    live_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="dpo-notification@parc.test",
                           EMAIL_RATE=None)
    yield inbox
    controller.stop()
