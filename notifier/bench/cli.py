"""`notifier bench ...`: benchmarks, each against its baseline in the same run.

    notifier bench letters --patients N [--workers 2] [--lot-size 5000] [--baseline-sample 200] [--database-url URL]
    notifier bench import [--rows 750000] [--database-url URL] [--json]
    notifier bench verify [--letters 750000] [--duration 20] [--connections 16] [--workers 3] [--threads 1]
        [--baseline-duration N] [--tool wrk|python] [--database-url URL]
    notifier bench email --patients N [--workers 2] [--chunk-size 1000] [--rate R] [--database-url URL]
        [--baseline-messages 5000] [--json]
"""

import json

import click

from notifier.core.cli import Command, Group


@click.group("bench", cls=Group)
def bench_group():
    """Benchmarks: letters/s (and import rows/s) with peak memory, against their baseline."""


@bench_group.command("letters", cls=Command)
@click.option("--patients", type=click.IntRange(1, 9_999_999), default=20_000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--lot-size", type=click.IntRange(1, 50_000), default=5000, show_default=True)
@click.option("--baseline-sample", type=click.IntRange(0, 100_000), default=200, show_default=True,
              help="Letters rendered the naive way (one WeasyPrint document each) for the comparison.")
@click.option("--database-url", default=None,
              help="A PostgreSQL server to use (in a temporary schema); default: a temporary SQLite file.")
@click.option("--keep", is_flag=True, help="Keep the scratch folder (database, lots, manifest).")
@click.option("--json", "as_json", is_flag=True)
def bench_letters(patients, workers, lot_size, baseline_sample, database_url, keep, as_json):
    """The real generation path end to end (patients in a scratch database -> job -> lots + manifest), then naive
    per-letter WeasyPrint on the same template; prints letters/s, the ratio, bytes per letter and peak memory."""
    from notifier.bench.letters import format_result, run

    result = run(patients, workers=workers, lot_size=lot_size, baseline_sample=baseline_sample,
                 database_url=database_url, keep=keep)
    click.echo(json.dumps(result) if as_json else format_result(result))


@bench_group.command("import", cls=Command)
@click.option("--rows", type=click.IntRange(1, 9_999_999), default=750_000, show_default=True)
@click.option("--database-url", default=None,
              help="Import into a temporary schema of this PostgreSQL server; default: a temporary SQLite file.")
@click.option("--json", "as_json", is_flag=True)
def bench_import(rows, database_url, as_json):
    """The patient import (services.patients, into a fresh app database) against plain csv + sqlite3 executemany
    of the same generated rows; prints rows/s, the ratio and each step's peak memory."""
    from notifier.bench.patient_import import run_import_benchmark

    result = run_import_benchmark(rows, quiet=as_json, database_url=database_url)
    if as_json:
        click.echo(json.dumps(result))


@bench_group.command("verify", cls=Command)
@click.option("--letters", type=click.IntRange(1, 9_999_999), default=750_000, show_default=True)
@click.option("--duration", type=click.IntRange(1, 600), default=20, show_default=True, help="Seconds of load.")
@click.option("--connections", type=click.IntRange(1, 1000), default=16, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=3, show_default=True, help="gunicorn workers.")
@click.option("--threads", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Threads per gunicorn worker (more than 1: the gthread worker class, keep-alive).")
@click.option("--baseline-duration", type=click.IntRange(0, 600), default=None,
              help="Seconds of load on the login page first, through the same gunicorn (default: up to 10; 0: none).")
@click.option("--tool", type=click.Choice(["wrk", "python"]), default=None,
              help="Load client; default: wrk when installed, else a Python client (a lower bound).")
@click.option("--database-url", default=None,
              help="A PostgreSQL server to use (in a temporary schema); default: a temporary SQLite file.")
@click.option("--keep", is_flag=True, help="Keep the scratch folder.")
@click.option("--json", "as_json", is_flag=True)
def bench_verify(letters, duration, connections, workers, threads, baseline_duration, tool, database_url, keep,
                 as_json):
    """The public verification page under load: gunicorn on 127.0.0.1 driven by wrk over a database of N letters;
    prints requests/s and p50/p99 latency (issue 17: >= 500 requests/s, p99 < 50 ms)."""
    from notifier.bench.verify import format_result, load_tool, run

    if tool == "wrk" and load_tool() != "wrk":
        raise click.UsageError("wrk is not installed (Debian: apt-get install wrk); --tool python needs nothing")
    if tool is None and load_tool() != "wrk":
        click.echo("wrk is not installed (Debian: apt-get install wrk): using the Python load client, which costs "
                   "more CPU per request (its figures are a lower bound)", err=True)
    result = run(letters, duration=duration, connections=connections, workers=workers, threads=threads,
                 baseline_duration=baseline_duration, tool=tool, database_url=database_url, keep=keep)
    click.echo(json.dumps(result) if as_json else format_result(result))


@bench_group.command("email", cls=Command)
@click.option("--patients", type=click.IntRange(1, 9_999_999), default=20_000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--chunk-size", type=click.IntRange(1, 50_000), default=1000, show_default=True)
@click.option("--rate", type=click.FloatRange(0, 10_000, min_open=True), default=None,
              help="A rate limit to apply (messages/s); default: none, as fast as the sink answers.")
@click.option("--database-url", default=None,
              help="A PostgreSQL server to use (in a temporary schema); default: a temporary SQLite file.")
@click.option("--baseline-messages", type=click.IntRange(0, 1_000_000), default=5000, show_default=True,
              help="Messages of the bare SMTP loops (same sink, same number of processes, no database) for the "
                   "comparison; 0: none.")
@click.option("--json", "as_json", is_flag=True)
def bench_email(patients, workers, chunk_size, rate, database_url, baseline_messages, as_json):
    """The real e-mail job end to end (patients with an address -> job -> worker processes -> one SMTP transaction
    and one commit per patient) against a local aiosmtpd sink in its own process, then bare SMTP loops against the
    same sink; prints e-mails/s, the baseline, CPU per message and the load average."""
    from notifier.bench.email import run
    from notifier.bench.letters import format_result

    result = run(patients, workers=workers, chunk_size=chunk_size, rate=rate, database_url=database_url,
                 baseline_messages=baseline_messages)
    click.echo(json.dumps(result) if as_json else format_result(result))


COMMANDS = [bench_group]
