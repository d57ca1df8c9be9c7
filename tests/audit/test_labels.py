"""Every action the code records has a label for people (issue 13.13: the trail showed "letters.track"), in French
and English, and every detail key a label too when it is one of the trail's usual ones."""

import re
from pathlib import Path

from notifier.audit.labels import ACTION_LABELS, describe_details, detail_value
from notifier.core.i18n import translate

ROOT = Path(__file__).resolve().parents[2] / "notifier"
RECORDED = re.compile(r'record\(\s*"([a-z_]+\.[a-z_]+|login|logout)"')


def recorded_actions() -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(RECORDED.findall(text))
        # Actions chosen by an expression: "patients.import_done" if ... else "patients.import_failed".
        found |= set(re.findall(r'"((?:patients|letters|breach|risk|report|user|audit)\.[a-z_]+)" if ', text))
        found |= set(re.findall(r'else "((?:patients|letters|breach|risk|report|user|audit)\.[a-z_]+)"', text))
    return found


def test_every_recorded_action_has_a_label():
    actions = recorded_actions()
    assert len(actions) > 30
    assert sorted(actions - set(ACTION_LABELS)) == []


def test_every_label_is_translated():
    for code, label in ACTION_LABELS.items():
        assert translate(label, "en") != label or label.isascii(), code


def test_details_read_as_text():
    assert detail_value(True, "fr") == "Oui" and detail_value(False, "en") == "No"
    assert detail_value("2026-11-02T09:00:00+00:00", "fr") == "2 novembre 2026 à 10\u00a0h\u00a000"
    assert detail_value([], "fr") == "—" and detail_value(["a", "b"], "fr") == "a, b"
    assert describe_details({"rows": 12, "reason": "Rôle"}, "fr") == [("rows", "Lignes", "12"),
                                                                       ("reason", "Motif", "Rôle")]


def test_codes_given_as_detail_values_are_shown_by_their_labels():
    described = describe_details({"trigger": "import", "severity": "very_high", "score": 5.0}, "fr")
    assert described == [("trigger", "Déclencheur", "Import JSON"), ("severity", "Gravité", "Très élevée"),
                         ("score", "Score", "5.0")]
    assert describe_details({"severity": "very_high"}, "en")[0][2] == "Very high"
