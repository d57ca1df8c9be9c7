"""Shared fixtures: an app on a fresh database (SQLite, and PostgreSQL when it answers), a client that carries the
CSRF token like a browser, and one account per role."""

import os
import re
import uuid

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from notifier import create_app
from notifier.extensions import db

# Property tests check what holds, not how fast: on a loaded 2-core CI machine a per-example deadline or the "input
# generation is slow" health check would fail a test for the machine's load.
settings.register_profile("notifier", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("notifier")

POSTGRES_URL = os.environ.get("NOTIFIER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery staple"
_postgres_state: dict[str, str | None] = {}


def postgres_unavailable() -> str | None:
    """Why the PostgreSQL run is skipped, or None when the server answers."""
    if "reason" not in _postgres_state:
        try:
            engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as connection:
                connection.execute(text("select 1"))
            engine.dispose()
            _postgres_state["reason"] = None
        except Exception as error:  # any failure to connect means: skip, and say why
            _postgres_state["reason"] = f"PostgreSQL at {POSTGRES_URL} does not answer: {type(error).__name__}"
    return _postgres_state["reason"]


@pytest.fixture(scope="session", autouse=True)
def instance_folder(tmp_path_factory):
    """The tests' instance folder (keys, checkpoint file, default SQLite), never the checkout's `instance/`: what one
    test run leaves there (a checkpoint of a database since deleted) must not be read by the next, nor by `make run`.
    Commands run in a subprocess inherit it."""
    folder = tmp_path_factory.mktemp("instance")
    previous = os.environ.get("NOTIFIER_INSTANCE_PATH")
    os.environ["NOTIFIER_INSTANCE_PATH"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("NOTIFIER_INSTANCE_PATH", None)
    else:
        os.environ["NOTIFIER_INSTANCE_PATH"] = previous


class BrowserLikeClient(FlaskClient):
    """Posts forms with the CSRF token a browser would have read from the page, unless told not to."""

    csrf_token: str | None = None

    def fetch_csrf_token(self) -> str:
        page = self.get("/login").get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page)
        assert match, "no CSRF token on the login page"
        self.csrf_token = match.group(1)
        return self.csrf_token

    def open(self, *args, **kwargs):
        # Each request gets its own application context, as in production: otherwise the test's context (and its
        # `g`, where Flask-Login and Flask-WTF cache the user and the token) would leak from one request to the next.
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def post(self, *args, csrf: bool = True, **kwargs):
        if csrf and isinstance(kwargs.get("data"), dict):
            kwargs["data"] = {"csrf_token": self.csrf_token or self.fetch_csrf_token(), **kwargs["data"]}
        return super().post(*args, **kwargs)


def _database_url(backend: str, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def app(backend, tmp_path):
    schema = None
    url = _database_url(backend, tmp_path)
    options = {}
    if backend == "postgresql":
        # One schema per test: tests never see each other's rows, and nothing is left behind.
        schema = f"t_{uuid.uuid4().hex[:12]}"
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": url,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": options,
        "STORAGE_DIR": str(tmp_path / "storage"),
        "SECRET_KEY": "test-secret",
        "SESSION_COOKIE_SECURE": False,
        "RATELIMIT_ENABLED": False,
        # The audit trail's keys and checkpoints, per test (the trail starts afresh with each database).
        "AUDIT_KEY": "test-audit-chain-key",
        "AUDIT_SIGNING_KEY": str(tmp_path / "audit_signing_key"),
        "AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl"),
    })
    app.test_client_class = BrowserLikeClient
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()
    if schema:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def organisation(app):
    from notifier.accounts.organisations import Establishment, Organisation

    organisation = Organisation(name="Groupe Hospitalier Test")
    db.session.add(organisation)
    db.session.add(Establishment(
        organisation=organisation, name="Clinique des Lilas", siren="552100554", finess="750000002",
        address="3 rue des Lilas, 75020 Paris", dpo_name="Claire Martin", dpo_email="dpo@lilas.test",
        dpo_phone="01 02 03 04 05", legal_representative="Paul Durand", legal_representative_title="Directeur",
        nis2_in_scope=True,
    ))
    db.session.commit()
    return organisation


@pytest.fixture
def establishment(organisation):
    return organisation.establishments[0]


def make_user(organisation, role: str, email: str | None = None):
    from notifier.accounts.models import User
    from notifier.accounts.services import add_user

    email = email or f"{role}@lilas.test"
    from notifier.extensions import db

    existing = User.query.filter_by(email=email).first()
    if existing:
        return existing
    user = add_user(email, role, PASSWORD, organisation=organisation)
    db.session.commit()
    return user


@pytest.fixture
def dpo(organisation):
    return make_user(organisation, "dpo")


@pytest.fixture
def legal(organisation):
    return make_user(organisation, "legal")


@pytest.fixture
def viewer(organisation):
    return make_user(organisation, "viewer")


@pytest.fixture
def admin(organisation):
    return make_user(organisation, "admin")


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, user) -> None:
    from notifier.extensions import db

    db.session.commit()  # the request runs in a session of its own: what the test made must be stored
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    client.csrf_token = None  # the session changed: read the new token


@pytest.fixture
def dpo_client(client, dpo):
    login(client, dpo)
    return client


@pytest.fixture
def breach(dpo, establishment):
    from notifier.breaches.services import create_breach
    from notifier.extensions import db

    created = create_breach(dpo, establishment)
    db.session.commit()
    return created


@pytest.fixture
def login_as(client):
    """Log the test client in as a user: ``login_as(viewer)``."""

    def log_in(user):
        login(client, user)
        return client

    return log_in


@pytest.fixture
def user_with_role(organisation):
    """A factory: ``user_with_role("legal")`` creates (once) the account of that role."""
    made = {}

    def make(role):
        if role not in made:
            made[role] = make_user(organisation, role)
        return made[role]

    return make


@pytest.fixture
def password():
    """The password of every fixture account."""
    return PASSWORD


@pytest.fixture
def mailed(breach):
    """Three patients of the breach with their letters: one posted, one generated, one never sent."""
    from tests.mailed_letters import add_letters

    return add_letters(breach)


@pytest.fixture
def add_letters_to():
    from tests.mailed_letters import add_letters

    return add_letters
