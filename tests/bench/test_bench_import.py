"""`notifier bench import --rows N [--database-url URL]`: the figures come from a real run of both steps, each in its
own process (the speed itself is measured by running the command at 750,000 rows, not by a timed test)."""

import json


def test_the_benchmark_runs_both_steps_and_reports_consistent_figures(app, backend):
    """On PostgreSQL, the import step runs in a temporary schema of the test server, dropped afterwards."""
    options = ["--database-url", app.config["DATABASE_URL"]] if backend == "postgresql" else []
    result = app.test_cli_runner().invoke(args=["bench", "import", "--rows", "300", "--json", *options])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    baseline, real = figures["baseline"], figures["import"]
    assert real["database"] == backend
    assert baseline["rows"] == real["rows"] == 300
    assert real["accepted"] + real["rejected"] == 300 and real["rejected"] > 0  # the generator makes ~1% bad rows
    assert 0 < baseline["peak_mib"] < real["peak_mib"] < 300
    assert figures["ratio"]["value"] == baseline["rows_per_second"] / real["rows_per_second"]
