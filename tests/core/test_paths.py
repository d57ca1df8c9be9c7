"""core/paths.py: one function finds the resource folders in a checkout and in an installed wheel; the instance
folder is NOTIFIER_INSTANCE_PATH or ./instance of the working directory (README.md, "Install from a wheel")."""

from pathlib import Path

import pytest

from notifier.core import paths

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", paths.RESOURCES)
def test_a_checkout_uses_its_top_level_folders(name):
    assert paths.resource_dir(name) == ROOT / name


@pytest.mark.parametrize("name", paths.RESOURCES)
def test_an_installed_package_uses_its_packaged_copies(name, tmp_path, monkeypatch):
    site_packages = tmp_path / "site-packages"
    (site_packages / name).mkdir(parents=True)  # a folder of that name beside the package is not a checkout
    monkeypatch.setattr(paths, "CHECKOUT_DIR", site_packages)
    assert paths.resource_dir(name) == paths.PACKAGED_DIR / name


def test_an_unknown_resource_is_refused():
    with pytest.raises(ValueError, match="unknown resource folder 'secrets'"):
        paths.resource_dir("secrets")


def test_the_instance_folder_is_the_setting_else_the_working_directorys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert paths.instance_dir({}) == tmp_path / "instance"
    assert paths.instance_dir({"NOTIFIER_INSTANCE_PATH": "/srv/notifier/instance"}) == Path("/srv/notifier/instance")
