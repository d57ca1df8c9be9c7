"""The change history and the audit trail read as text for people (issue 13.13): labels instead of codes, Oui/Non,
Paris time, lists as labels, accents as themselves; the raw data one click away in a <details>."""

import re
from datetime import UTC, datetime

from notifier.audit import services as audit
from notifier.breaches.models import BreachChange
from notifier.breaches.rules.values import field_label, value_text
from notifier.extensions import db


def change(breach, dpo, section, field, old, new):
    db.session.add(BreachChange(breach_id=breach.id, user_id=dpo.id, section=section, field=field, old_value=old,
                                new_value=new, at=datetime(2026, 10, 26, 12, 20, tzinfo=UTC)))


def row_of(page, field):
    match = re.search(rf'<tr data-field="{field}">(.*?)</tr>', page, re.S)
    assert match, field
    return match.group(1)


def test_values_are_shown_as_labels_yes_no_paris_time_and_lists_of_labels():
    assert value_text("information_status", "will_be", "fr") == "Les personnes vont être informées"
    assert value_text("information_channels", ["letter", "public_notice"], "fr") == \
        "Courrier postal, Communication publique"
    assert value_text("ongoing", True, "fr") == "Oui" and value_text("ongoing", False, "en") == "No"
    assert value_text("aware_at", "2026-10-26T12:20:00+00:00", "fr") == "26 octobre 2026 à 13\u00a0h\u00a020"
    assert value_text("status", "closed", "fr") == "Clôturée"
    assert value_text("people_count", 758912, "fr") == "758\u202f912"
    assert value_text("people_count", None, "fr") == ""
    assert field_label("ongoing", "fr") == "La violation est toujours en cours"
    assert field_label("reopen_reason", "en") == "Reason for reopening"


def test_the_history_page_shows_labels_and_keeps_the_raw_values_one_click_away(dpo_client, breach, dpo):
    change(breach, dpo, "information", "information_status", None, "will_be")
    change(breach, dpo, "information", "information_channels", [], ["letter", "public_notice"])
    change(breach, dpo, "dates", "ongoing", False, True)
    change(breach, dpo, "dates", "aware_at", None, "2026-10-26T12:20:00+00:00")
    change(breach, dpo, "notification", "title", "", "Télé-rôle")
    db.session.commit()
    page = dpo_client.get(f"/breaches/{breach.id}/history").get_data(as_text=True)

    status = row_of(page, "information_status")
    assert "Les personnes vont être informées" in status and ">will_be<" not in status
    channels = row_of(page, "information_channels")
    assert "Courrier postal, Communication publique" in channels and "[&#39;letter&#39;" not in channels
    ongoing = row_of(page, "ongoing")
    assert 'data-value="before">Non' in ongoing and "Oui" in ongoing and "False" not in ongoing.split("<details")[0]
    aware = row_of(page, "aware_at")
    # 12:20 UTC on 26 October 2026 is 13:20 in Paris (winter time since the 25th), for the value and the change.
    assert "26 octobre 2026 à 13\u00a0h\u00a020" in aware.split("<td>", 2)[2]
    assert aware.startswith("<td>26 octobre 2026 à 13\u00a0h\u00a020</td>")
    title = row_of(page, "title")
    assert "Télé-rôle" in title and "\\u00f4" not in title
    # The raw data: one click away, as stored.
    assert '<details class="raw"><summary>Données brutes</summary>' in status
    assert "<code>&#34;will_be&#34;</code>" in status or "<code>\"will_be\"</code>" in status
    assert "<code>true</code>" in ongoing and "<code>information.information_status</code>" in status


def test_the_audit_page_shows_labels_formatted_details_and_the_raw_entry(login_as, legal, dpo, breach):
    audit.record("letters.track", user=dpo, obj=breach, details={"source": "suivi-laposte.csv", "rows": 12,
                                                                 "updated": 10})
    audit.record("breach.close", user=dpo, obj=breach,
                 details={"reason": "Mesures achevées, dossier clôturé", "closed_at": "2026-11-02T09:00:00+00:00"})
    audit.record("breach.update", user=dpo, obj=breach, details={"section": "dates", "fields": ["ongoing"]})
    audit.record("patients.fix", user=dpo, breach_id=breach.id, details={"holds_cleared": [], "status": "ready",
                                                                          "draft": False})
    db.session.commit()
    page = login_as(legal).get("/audit/").get_data(as_text=True)
    track = re.search(r'<tr data-action="letters.track">(.*?)</tr>', page, re.S).group(1)
    visible = track.split("<details")[0]
    assert "Suivi postal des courriers importé" in visible and "letters.track" not in visible
    assert f'violation n° {breach.id}</a>' in visible and "breach 1" not in visible
    assert "<dt>Lignes</dt><dd>12</dd>" in visible and "<dt>Source</dt><dd>suivi-laposte.csv</dd>" in visible
    assert "<code>letters.track</code>" in track  # the code, in the raw data
    close = re.search(r'<tr data-action="breach.close">(.*?)</tr>', page, re.S).group(1)
    assert "2 novembre 2026 à 10\u00a0h\u00a000" in close.split("<details")[0]  # Paris time, not the stored UTC
    assert "clôturé" in close and "\\u00f4" not in close and "\\u00e9" not in close
    update = re.search(r'<tr data-action="breach.update">(.*?)</tr>', page, re.S).group(1)
    assert "La violation est toujours en cours" in update.split("<details")[0]
    fix = re.search(r'<tr data-action="patients.fix">(.*?)</tr>', page, re.S).group(1).split("<details")[0]
    assert "<dt>Brouillon</dt><dd>Non</dd>" in fix and "False" not in fix
    assert "<dt>Mises en attente levées</dt><dd>—</dd>" in fix
