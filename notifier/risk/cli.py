"""`notifier assess FILE.json`: the risk verdict for a facts document, without application, database or
configuration. The contract (fields, JSON keys, exit status) is documented in docs/risk-method.md. Messages and
reasons are in the language of --lang, else of ``cli_language()``; the `error:` prefix, the field paths, the JSON
keys and the exit status never change."""

import json
import sys

import click

from notifier.core.i18n import LANGUAGES, N_, cli_language, translate
from notifier.risk.rules import engine as risk


def _fail(message: str):
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _read(path: str, lang: str) -> object:
    def say(message: str, **params) -> str:
        return translate(message, lang, path=path, **params)

    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        _fail(say(N_("%(path)s\u00a0: impossible de lire le fichier\u00a0: %(error)s"),
                  error=getattr(error, "strerror", None) or error))
    try:
        return json.loads(text, parse_constant=lambda name: _fail(say(
            N_("%(path)s\u00a0: JSON invalide\u00a0: %(name)s n'est pas un nombre"), name=name)))
    except json.JSONDecodeError as error:
        _fail(say(N_("%(path)s\u00a0: JSON invalide à la ligne %(line)s, colonne %(column)s\u00a0: %(error)s"),
                  line=error.lineno, column=error.colno, error=error.msg))
    except RecursionError:
        _fail(say(N_("%(path)s\u00a0: JSON invalide\u00a0: imbrication trop profonde")))


@click.command("assess")
@click.argument("file", metavar="FILE.json")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a summary.")
@click.option("--lang", type=click.Choice(LANGUAGES), default=None,
              help="Language of the messages and reasons (default: NOTIFIER_LANG, else the locale, else fr).")
def assess_command(file: str, as_json: bool, lang: str | None):
    """Assess the risk of a breach from a facts document (ENISA 2013, GDPR art. 33 and 34); '-' reads stdin."""
    lang = lang or cli_language()
    document = _read(file, lang)
    try:
        facts = risk.validate_facts(document, lang)
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
    yes, no = translate(N_("oui"), lang), translate(N_("non"), lang)
    labels = {
        "severity": N_("Gravité (ENISA 2013)"),
        "risk": N_("Niveau de risque"),
        "register": N_("Registre (art. 33(5))"),
        "notify": N_("Notifier la CNIL (art. 33)"),
        "inform": N_("Informer chaque personne (art. 34)"),
        "public": N_("Communication publique (art. 34(3)(c))"),
        "exceptions": N_("Exceptions de l'art. 34(3)"),
        "reasons": N_("Motifs"),
    }

    def line(key: str, value: str) -> None:
        click.echo(f"{translate(labels[key], lang) + ':':<40} {value}")

    score = f"{assessment.severity_score:g}"
    line("severity", f"{score.replace('.', ',') if lang == 'fr' else score} "
                     f"({translate(risk.SEVERITIES[assessment.severity], lang)})")
    line("risk", translate(risk.RISK_LEVELS[assessment.risk_level], lang))
    line("register", yes)
    line("notify", yes if assessment.notify_authority else no)
    line("inform", yes if assessment.inform_subjects else no)
    if assessment.public_communication_required:
        line("public", yes)
    line("exceptions", ", ".join(assessment.exceptions) or "-")
    click.echo(translate(labels["reasons"], lang) + ":")
    for reason in assessment.reasons:
        click.echo(f"  - {reason.text(lang)}")


COMMANDS = [assess_command]
