"""The architecture contract (docs/architecture.md), from pytest too: the import-linter contracts of pyproject.toml are
kept, and no import circle joins modules of notifier, except the one through the app factory that process entry
points need."""

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]

# The modules that build an app of their own in a new process (a worker, the CLI, a benchmark's scratch database):
# they import create_app from notifier/__init__.py, which registers every feature, so they close a circle by design.
APP_FACTORY_IMPORTERS = {
    "notifier.cli",
    "notifier.letters.runners.local",
    "notifier.wsgi",  # gunicorn notifier.wsgi:app (the wheel's entry point)
    "notifier.letters.runners.celery_app",
    "notifier.cases.beat",  # the Celery worker that sends the reminders on beat's schedule
    "notifier.bench.letters",
    "notifier.bench.patient_import",
    "notifier.bench.email",  # the e-mail job against a local SMTP sink, on a scratch database
    "notifier.bench.verify",  # seeds the scratch database that gunicorn then serves
}


def import_circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every group of modules that import each other (strongly connected components of two or more, Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return circles


def notifier_graph() -> grimp.ImportGraph:
    # Imports under `if TYPE_CHECKING:` never run; imports inside functions do, and count.
    return grimp.build_graph("notifier", exclude_type_checking_imports=True)


def test_no_import_circle_joins_modules_of_notifier_except_through_the_app_factory():
    graph = notifier_graph()
    for importer in graph.find_modules_that_directly_import("notifier"):
        graph.remove_import(importer=importer, imported="notifier")
    assert import_circles(graph) == []


def test_only_process_entry_points_import_the_app_factory():
    assert notifier_graph().find_modules_that_directly_import("notifier") == APP_FACTORY_IMPORTERS


def test_a_circle_is_found_when_there_is_one():
    graph = notifier_graph()
    graph.add_import(importer="notifier.core.formatting", imported="notifier.core.i18n")
    graph.add_import(importer="notifier.core.i18n", imported="notifier.core.formatting")
    assert ["notifier.core.formatting", "notifier.core.i18n"] in import_circles(graph)


def test_the_import_contracts_of_pyproject_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:]
