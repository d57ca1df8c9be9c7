"""`notifier bench email --patients N`: the real e-mail job against a local aiosmtpd sink, then bare SMTP loops
against the same sink, in one run (issue 14, part 2). The speed itself is measured by running the command, not by a
timed test: this checks that the figures come from a real run and agree with each other."""

import json


def test_the_email_benchmark_sends_every_patient_through_the_sink_and_reports_its_baseline(app, backend):
    """On PostgreSQL, the job runs in a temporary schema of the test server, dropped afterwards."""
    options = ["--database-url", app.config["DATABASE_URL"]] if backend == "postgresql" else []
    result = app.test_cli_runner().invoke(args=["bench", "email", "--patients", "40", "--workers", "1",
                                                "--chunk-size", "20", "--baseline-messages", "30", "--json", *options])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["database"] == backend and figures["chunks"] == 2
    assert figures["sent"] == figures["received_by_sink"] == figures["patients"] == 40
    assert figures["sink_messages"] == 40 + 30  # the job's, then the bare loops' (one warm-up message untimed)
    assert figures["bare_smtp_messages"] == 29 and figures["bare_smtp_per_second"] > 0
    assert figures["emails_per_second"] > 0
    assert figures["job_vs_bare_smtp"] == round(figures["emails_per_second"] / figures["bare_smtp_per_second"], 2)
