"""The package runs anywhere, not only from a checkout: the wheel, built from the sdist as a release would, installed
in a fresh virtual environment outside the checkout, migrates a database, imports the example breach, renders the
CNIL report and 50 letters, and serves the French login page under gunicorn, with its instance folder in the working
directory and nothing written into site-packages (README.md, "Install from a wheel")."""

import csv
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_DPO = "dpo@demo.notifier.local"
PATIENTS = 50

# The one step no command offers: a letter template is written on the web page. Run with the installed package.
WRITE_TEMPLATE = """
import sys
from notifier import create_app
from notifier.accounts.models import User
from notifier.breaches.models import Breach
from notifier.extensions import db
from notifier.letters import services as letters

with create_app().app_context():
    breach = db.session.get(Breach, int(sys.argv[1]))
    author = User.query.filter_by(email=sys.argv[2]).one()
    letters.save_template(breach, author, "standard", letters.TemplateDraft(texts=letters.default_texts(breach)))
    db.session.commit()
"""


def _outside_environment(venv: Path, home: Path) -> dict[str, str]:
    """What a hospital's server would give the commands: the venv's PATH, no NOTIFIER_* setting, no PYTHONPATH."""
    return {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}


def _run(command: list[str], **options) -> subprocess.CompletedProcess:
    """Run a step; on failure, the assertion shows what the step printed."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **options)
    assert result.returncode == 0, (command, result.stdout[-3000:], result.stderr[-3000:])
    return result


def _files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from the sdist, installed in a plain venv (dependencies from the package index, as pip
    resolves them for anyone), with a working folder holding only what an operator copies there."""
    started = time.monotonic()
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)])
    wheel = next(dist.glob("notifier-*.whl"))
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    pip_env = {key: value for key, value in os.environ.items()
               if not key.startswith("NOTIFIER_") and key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], env=pip_env, cwd=base)
    home = base / "home"
    work = base / "work"
    home.mkdir()
    work.mkdir()
    shutil.copy(ROOT / "gunicorn.conf.py", work)
    shutil.copy(ROOT / "docs" / "examples" / "breach.json", work)
    env = _outside_environment(venv, home)
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site_packages = Path(_run([str(venv / "bin" / "python"), "-c", where], env=env, cwd=work).stdout.strip())
    installed_files = _files_under(site_packages)

    def notifier(*args: str) -> subprocess.CompletedProcess:
        return _run([str(venv / "bin" / "notifier"), *args], env=env, cwd=work)

    notifier("db", "upgrade")
    notifier("demo")
    breach_id = notifier("breach", "import", "breach.json").stdout.strip().splitlines()[-1]
    print(f"wheel built and installed, database migrated, example imported in {time.monotonic() - started:.0f} s")
    return SimpleNamespace(wheel=wheel, dist=dist, venv=venv, work=work, env=env, site_packages=site_packages,
                           notifier=notifier, breach_id=breach_id, site_packages_files=installed_files)


def test_the_wheel_and_the_sdist_carry_the_pages_documents_static_files_migrations_and_catalog(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for resource in ("templates/auth/login.html", "templates/base.html", "letters/base.css",
                     "letters/cnil_report/report.html", "letters/patient_letter/letter.html",
                     "letters/fonts/DejaVuSans.ttf", "static/app.css", "migrations/env.py",
                     "migrations/alembic.ini"):
        assert f"notifier/resources/{resource}" in names, resource
    assert "notifier/translations/en/LC_MESSAGES/messages.mo" in names
    assert "notifier/schemas/breach.schema.json" in names
    assert any(name.startswith("notifier/resources/migrations/versions/") for name in names)
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    with tarfile.open(next(installed.dist.glob("notifier-*.tar.gz"))) as sdist:
        top_level = {Path(name).parts[1] for name in sdist.getnames() if len(Path(name).parts) > 1}
    assert {"notifier", "templates", "letters", "static", "migrations", "pyproject.toml"} <= top_level


def test_the_installed_package_is_the_wheel_not_the_checkout(installed):
    where = "import notifier.core.paths as p; print(p.resource_dir('templates'), p.resource_dir('letters'))"
    located = _run([str(installed.venv / "bin" / "python"), "-c", where], env=installed.env,
                   cwd=installed.work).stdout.split()
    assert located == [str(installed.site_packages / "notifier" / "resources" / name)
                       for name in ("templates", "letters")]


def test_the_cnil_report_renders_from_the_installed_package(installed):
    result = installed.notifier("report", installed.breach_id, "--out", "r.pdf")
    pdf = (installed.work / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert result.stdout.strip().splitlines()[-1] == hashlib.sha256(pdf).hexdigest()
    assert installed.site_packages_files == _files_under(installed.site_packages)


def test_fifty_patients_are_imported_and_get_their_letters(installed):
    patients = installed.work / "patients.csv"
    with patients.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["IPP", "Civilité", "Prénom", "Nom", "Date de naissance", "Adresse", "Code postal", "Ville"])
        for number in range(1, PATIENTS + 1):
            writer.writerow([f"IPP{number:04d}", "Mme" if number % 2 else "M", "Camille", f"MARTIN{number:02d}",
                             "14/07/1960", f"{number} RUE DE LA REPUBLIQUE", f"6900{number % 9 + 1}", "LYON"])
            # Lyon's nine arrondissements, 69001 to 69009 (69000 is no postcode: the base would hold the patient)
    imported = json.loads(installed.notifier("patients", "import", installed.breach_id, "patients.csv",
                                             "--json").stdout.strip().splitlines()[-1])
    assert imported["accepted"] == PATIENTS and imported["rejected"] == 0, imported
    _run([str(installed.venv / "bin" / "python"), "-c", WRITE_TEMPLATE, installed.breach_id, DEMO_DPO],
         env=installed.env, cwd=installed.work)

    installed.notifier("letters", "generate", installed.breach_id, "--out", "letters", "--draft")
    out = installed.work / "letters"
    with (out / "manifest.csv").open(encoding="utf-8", newline="") as manifest:
        rows = list(csv.DictReader(manifest))
    assert len(rows) == PATIENTS
    assert (out / "lot-0001.pdf").read_bytes().startswith(b"%PDF-")
    assert installed.site_packages_files == _files_under(installed.site_packages)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_serves_the_french_login_page_with_the_repositorys_settings(installed):
    port = _free_port()
    server = subprocess.Popen(
        [str(installed.venv / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "notifier.wsgi:app"], cwd=installed.work, env=installed.env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/login", headers={"Accept-Language": "fr"})
        deadline = time.monotonic() + 60
        while True:  # bounded: until the worker answers, or 60 s
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    status, page = response.status, response.read().decode()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read().decode()
                time.sleep(0.2)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert status == 200
    assert '<html lang="fr">' in page and "Connexion" in page
    assert '"GET /login HTTP/1.1" 200' in output  # the access log format of gunicorn.conf.py
    assert installed.site_packages_files == _files_under(installed.site_packages)


def test_the_instance_folder_is_the_working_folders_and_site_packages_holds_none(installed):
    instance = installed.work / "instance"
    assert (instance / "notifier.db").is_file() and (instance / "secret_key").is_file()
    assert (instance / "storage").is_dir()
    assert not list(installed.site_packages.rglob("instance"))
    assert not list(installed.site_packages.rglob("*.db"))
    assert installed.site_packages_files == _files_under(installed.site_packages)
