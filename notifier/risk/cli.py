"""`notifier assess FILE.json`: the risk verdict for a facts document, without application, database or
configuration. The contract (fields, JSON keys, exit status) is documented in docs/risk-method.md."""

import json
import sys

import click

from notifier.risk.rules import engine as risk


def _fail(message: str):
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _read(path: str) -> object:
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"{path}: cannot read the file: {getattr(error, 'strerror', None) or error}")
    try:
        return json.loads(text, parse_constant=lambda name: _fail(f"{path}: invalid JSON: {name} is not a number"))
    except json.JSONDecodeError as error:
        _fail(f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")
    except RecursionError:
        _fail(f"{path}: invalid JSON: nested too deeply")


@click.command("assess")
@click.argument("file", metavar="FILE.json")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a summary.")
@click.option("--lang", type=click.Choice(risk.LANGUAGES), default="en", show_default=True,
              help="Language of the reasons.")
def assess_command(file: str, as_json: bool, lang: str):
    """Assess the risk of a breach from a facts document (ENISA 2013, GDPR art. 33 and 34); '-' reads stdin."""
    document = _read(file)
    try:
        facts = risk.validate_facts(document)
    except risk.RiskFactsError as error:
        for path, message in error.problems:
            click.echo(f"error: {path}: {message}", err=True)
        sys.exit(2)
    assessment = risk.assess(facts, lang=lang)
    if as_json:
        click.echo(json.dumps(assessment.to_dict(lang), ensure_ascii=False))
        return
    _print_summary(assessment, lang)


def _print_summary(assessment: risk.Assessment, lang: str) -> None:
    index = 0 if lang == "fr" else 1
    yes, no = ("oui", "non") if lang == "fr" else ("yes", "no")
    labels = {
        "severity": ("Gravité (ENISA 2013)", "Severity (ENISA 2013)"),
        "risk": ("Niveau de risque", "Risk level"),
        "register": ("Registre (art. 33(5))", "Register (art. 33(5))"),
        "notify": ("Notifier la CNIL (art. 33)", "Notify the CNIL (art. 33)"),
        "inform": ("Informer chaque personne (art. 34)", "Tell each person (art. 34)"),
        "public": ("Communication publique (art. 34(3)(c))", "Public communication (art. 34(3)(c))"),
        "exceptions": ("Exceptions de l'art. 34(3)", "Art. 34(3) exceptions"),
        "reasons": ("Motifs", "Reasons"),
    }

    def line(key: str, value: str) -> None:
        click.echo(f"{labels[key][index] + ':':<40} {value}")

    score = f"{assessment.severity_score:g}"
    line("severity", f"{score.replace('.', ',') if lang == 'fr' else score} "
                     f"({risk.SEVERITIES[assessment.severity][index]})")
    line("risk", risk.RISK_LEVELS[assessment.risk_level][index])
    line("register", yes)
    line("notify", yes if assessment.notify_authority else no)
    line("inform", yes if assessment.inform_subjects else no)
    if assessment.public_communication_required:
        line("public", yes)
    line("exceptions", ", ".join(assessment.exceptions) or "-")
    click.echo(labels["reasons"][index] + ":")
    for reason in assessment.reasons:
        click.echo(f"  - {reason.text(lang)}")


COMMANDS = [assess_command]
