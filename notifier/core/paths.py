"""Where the folders the package needs beside its Python code live, in a checkout and in an installed wheel.

A checkout keeps them at the top level, where people edit them: `templates/` (web pages), `letters/` (print
documents), `static/` and `migrations/`. The wheel carries copies under `notifier/resources/` (pyproject.toml,
`force-include`): `notifier/letters/` is already the letters feature's Python package.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
CHECKOUT_DIR = PACKAGE_DIR.parent
PACKAGED_DIR = PACKAGE_DIR / "resources"
RESOURCES = ("templates", "letters", "static", "migrations")


def resource_dir(name: str) -> Path:
    """The folder `name` (one of RESOURCES): the checkout's top-level one when running from a checkout (the folder
    beside the package holds pyproject.toml and that folder), else the copy packaged in the wheel."""
    if name not in RESOURCES:
        raise ValueError(f"unknown resource folder {name!r}; expected one of {', '.join(RESOURCES)}")
    in_checkout = CHECKOUT_DIR / name
    if (CHECKOUT_DIR / "pyproject.toml").is_file() and in_checkout.is_dir():
        return in_checkout
    return PACKAGED_DIR / name


def instance_dir(environ: dict[str, str]) -> Path:
    """The instance folder (SQLite database, secret key, storage): NOTIFIER_INSTANCE_PATH, else `instance/` of the
    working directory, never a folder of the installed package (which may be read-only, and is shared)."""
    return Path(environ.get("NOTIFIER_INSTANCE_PATH") or Path.cwd() / "instance").absolute()
