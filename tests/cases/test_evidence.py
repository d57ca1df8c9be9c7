"""The evidence vault: encrypted at rest, byte-identical back, served as attachments only, scoped to the organisation,
size-limited, audited; thumbnails from a re-encoded copy; key rotation."""

import hashlib
import io
from pathlib import Path

import pytest

from notifier.cases import services as cases
from notifier.cases import vault
from notifier.cases.models import Evidence
from notifier.extensions import db

SECRET = b"%PDF-1.7\nRapport d'expertise: exfiltration du serveur DPI-03, 1 200 dossiers\n" * 50


def _upload(client, breach, data=SECRET, name="rapport-forensique.pdf", **extra):
    return client.post(f"/breaches/{breach.id}/case/evidence",
                       data={"file": (io.BytesIO(data), name), "description": "Rapport du prestataire", **extra},
                       content_type="multipart/form-data")


def _stored_files(app):
    folder = Path(app.config["STORAGE_DIR"]) / "evidence"
    return [p for p in folder.iterdir() if p.is_file()] if folder.exists() else []


def test_an_evidence_file_is_stored_encrypted_and_comes_back_byte_identical(app, aware_breach, dpo_client):
    assert _upload(dpo_client, aware_breach).status_code == 302
    evidence = Evidence.query.one()
    assert evidence.sha256 == hashlib.sha256(SECRET).hexdigest() and evidence.size == len(SECRET)
    stored = _stored_files(app)
    assert len(stored) == 1 and stored[0].name == evidence.storage_name
    on_disk = stored[0].read_bytes()
    assert b"exfiltration" not in on_disk and SECRET[:40] not in on_disk
    assert evidence.filename not in stored[0].name
    response = dpo_client.get(f"/evidence/{evidence.id}")
    assert response.status_code == 200
    assert response.data == SECRET
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/octet-stream"


def test_uploads_downloads_and_deletions_are_in_the_audit_trail(aware_breach, dpo_client):
    from notifier.audit.models import AuditEntry

    _upload(dpo_client, aware_breach)
    evidence = Evidence.query.one()
    dpo_client.get(f"/evidence/{evidence.id}")
    assert dpo_client.post(f"/evidence/{evidence.id}/delete", data={"reason": "Doublon du rapport"}).status_code == 302
    actions = [e.action for e in AuditEntry.query.filter_by(breach_id=aware_breach.id).order_by(AuditEntry.id)]
    assert actions[-3:] == ["case.evidence_upload", "case.evidence_download", "case.evidence_delete"]
    db.session.expire_all()
    deleted = db.session.get(Evidence, evidence.id)
    assert deleted.deleted_at is not None and deleted.storage_name is None and deleted.sha256
    assert deleted.deleted_reason == "Doublon du rapport"
    assert dpo_client.get(f"/evidence/{evidence.id}").status_code == 410


def test_a_viewer_of_another_organisation_can_neither_list_nor_download(aware_breach, dpo_client, outsider,
                                                                        login_as, client):
    _upload(dpo_client, aware_breach)
    evidence = Evidence.query.one()
    dpo_client.post("/logout")
    other = login_as(outsider)
    assert other.get(f"/breaches/{aware_breach.id}/case").status_code == 404
    assert other.get(f"/evidence/{evidence.id}").status_code == 404
    assert other.get(f"/evidence/{evidence.id}/thumbnail").status_code == 404
    assert other.get(f"/breaches/{aware_breach.id}/dossier.zip").status_code == 403  # a viewer never exports


def test_a_viewer_of_the_organisation_may_download(aware_breach, dpo_client, viewer, login_as):
    _upload(dpo_client, aware_breach)
    evidence = Evidence.query.one()
    dpo_client.post("/logout")
    reader = login_as(viewer)
    assert reader.get(f"/evidence/{evidence.id}").data == SECRET
    assert _upload(reader, aware_breach).status_code == 403


def test_a_file_above_the_limit_is_refused_with_a_precise_message_in_the_users_language(app, aware_breach,
                                                                                        dpo_client):
    app.config["EVIDENCE_MAX_BYTES"] = 100 * 1024  # small enough for the test client to keep the body in memory
    response = _upload(dpo_client, aware_breach, data=b"x" * (100 * 1024 + 1))
    page = dpo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Fichier trop volumineux\u00a0: 100 Ko au plus. Rien n&#39;a été enregistré." in page
    assert Evidence.query.count() == 0 and not _stored_files(app)
    dpo_client.post("/lang/en", data={"next": "/"})
    response = _upload(dpo_client, aware_breach, data=b"x" * (100 * 1024 + 1))
    assert "File too large: 100 KB at most" in dpo_client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_image_gets_a_thumbnail_re_encoded_as_png_and_other_files_none(aware_breach, dpo_client):
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 30, 30)).save(picture, format="JPEG", comment=b"<script>alert(1)</script>")
    _upload(dpo_client, aware_breach, data=picture.getvalue(), name="annonce-de-vente.jpg")
    _upload(dpo_client, aware_breach, data=b"<html><script>alert(1)</script></html>", name="page.html")
    image, page = Evidence.query.order_by(Evidence.id).all()
    assert image.thumbnail_name and page.thumbnail_name is None
    response = dpo_client.get(f"/evidence/{image.id}/thumbnail")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG") and b"<script>" not in response.data
    with Image.open(io.BytesIO(response.data)) as thumb:
        assert max(thumb.size) <= 320
    assert dpo_client.get(f"/evidence/{page.id}/thumbnail").status_code == 404
    html = dpo_client.get(f"/evidence/{page.id}")
    assert html.mimetype == "application/octet-stream" and html.headers["Content-Disposition"].startswith("attachment")


def test_an_altered_stored_file_is_not_served(app, aware_breach, dpo_client):
    _upload(dpo_client, aware_breach)
    stored = _stored_files(app)[0]
    blob = bytearray(stored.read_bytes())
    blob[-1] ^= 1
    stored.write_bytes(bytes(blob))
    assert dpo_client.get(f"/evidence/{Evidence.query.one().id}").status_code == 500


def test_key_rotation_re_encrypts_every_file_with_the_new_key(app, aware_breach, dpo):
    old = "11" * 32
    app.config["EVIDENCE_KEY"] = old
    evidence = cases.add_evidence(aware_breach, dpo, filename="recepisse.pdf", stream=io.BytesIO(SECRET),
                                  max_bytes=10**6)
    db.session.commit()
    app.config["EVIDENCE_KEY"] = "22" * 32
    with pytest.raises(vault.VaultError):
        cases.read_evidence(evidence)  # the old key is no longer given
    app.config["EVIDENCE_OLD_KEYS"] = old
    assert cases.read_evidence(evidence) == SECRET
    done, seen = cases.rekey_vault()
    db.session.commit()
    assert (done, seen) == (1, 1)
    app.config["EVIDENCE_OLD_KEYS"] = None
    assert cases.read_evidence(evidence) == SECRET
    assert evidence.key_id == vault.key_id(bytes.fromhex("22" * 32))


def test_without_a_configured_key_one_is_generated_once_in_the_instance_folder(app):
    first = vault.current_key()
    key_file = Path(app.instance_path) / "evidence_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert vault.current_key() == first and len(first) == 32


def test_a_file_name_never_carries_a_path_or_control_characters():
    assert cases.safe_filename("../../etc/passwd") == "passwd"
    assert cases.safe_filename("C:\\Users\\dpo\\rapport.pdf") == "rapport.pdf"
    assert cases.safe_filename("a\r\nb\x00.pdf") == "ab.pdf"
    assert cases.safe_filename("") == "fichier"


def _image(name="annonce-de-vente.png"):
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(picture, format="PNG")
    return picture.getvalue(), name


def _thumbnail_entries(evidence):
    from notifier.audit.models import AuditEntry

    return AuditEntry.query.filter_by(action="case.evidence_thumbnail", object_id=str(evidence.id)).all()


def test_a_thumbnail_view_is_audited_once_per_user_piece_and_day(aware_breach, dpo_client, viewer, login_as):
    data, name = _image()
    _upload(dpo_client, aware_breach, data=data, name=name)
    evidence = Evidence.query.one()
    assert dpo_client.get(f"/evidence/{evidence.id}/thumbnail").status_code == 200
    assert dpo_client.get(f"/evidence/{evidence.id}/thumbnail").status_code == 200
    entries = _thumbnail_entries(evidence)
    assert len(entries) == 1 and entries[0].details == {"sha256": evidence.sha256}
    assert entries[0].breach_id == aware_breach.id
    dpo_client.post("/logout")
    assert login_as(viewer).get(f"/evidence/{evidence.id}/thumbnail").status_code == 200
    assert sorted(e.user_email for e in _thumbnail_entries(evidence)) == sorted([entries[0].user_email,
                                                                                 viewer.email])


def test_a_thumbnail_seen_again_the_next_paris_day_is_audited_again(aware_breach, dpo, monkeypatch):
    from datetime import UTC, datetime

    from notifier.audit import services as audit

    data, name = _image()
    evidence = cases.add_evidence(aware_breach, dpo, filename=name, stream=io.BytesIO(data), max_bytes=10**6)
    db.session.commit()

    def view_at(instant):
        monkeypatch.setattr(audit, "utcnow", lambda: instant)  # the time the trail's entry is written at
        assert cases.evidence_thumbnail(evidence, user=dpo, now=instant).startswith(b"\x89PNG")
        db.session.commit()
        return len(_thumbnail_entries(evidence))

    # 23:30 in Paris on 2 November is 22:30 UTC; 00:10 in Paris on the 3rd is 23:10 UTC, still the 2nd in UTC.
    assert view_at(datetime(2026, 11, 2, 22, 30, tzinfo=UTC)) == 1
    assert view_at(datetime(2026, 11, 2, 22, 50, tzinfo=UTC)) == 1
    assert view_at(datetime(2026, 11, 2, 23, 10, tzinfo=UTC)) == 2


def test_thumbnail_views_are_named_in_words_on_the_audit_page(aware_breach, dpo_client, legal, login_as):
    data, name = _image()
    _upload(dpo_client, aware_breach, data=data, name=name)
    dpo_client.get(f"/evidence/{Evidence.query.one().id}/thumbnail")
    dpo_client.post("/logout")
    reader = login_as(legal)
    assert "Vignette d&#39;une pièce affichée" in reader.get("/audit/").get_data(as_text=True)
    reader.post("/lang/en", data={"next": "/"})
    assert "Evidence thumbnail viewed" in reader.get("/audit/").get_data(as_text=True)


# --- an attacker on a live instance ------------------------------------------------------------------------------

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
       b'<script>fetch("/admin/users")</script></svg>')


def _png_header_only(width, height):
    """A PNG whose header claims ``width`` x ``height`` 1-bit pixels, with a tiny compressed body: a decompression
    bomb (or a header that lies), decoded by nobody."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = zlib.compress(b"\x00" * ((width + 7) // 8 + 1) * 16)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def test_an_svg_with_a_script_and_a_path_in_its_name_is_stored_as_bytes_and_served_only_as_an_attachment(
        app, aware_breach, dpo_client):
    assert _upload(dpo_client, aware_breach, data=SVG, name="../../../static/evil.svg").status_code == 302
    evidence = Evidence.query.one()
    assert evidence.filename == "evil.svg" and evidence.thumbnail_name is None  # never decoded, never previewed
    stored = _stored_files(app)
    assert [p.name for p in stored] == [evidence.storage_name] and len(evidence.storage_name) == 32
    assert b"<script>" not in stored[0].read_bytes() and b"<svg" not in stored[0].read_bytes()
    assert not (Path(app.config["STORAGE_DIR"]).parent / "static" / "evil.svg").exists()
    assert dpo_client.get(f"/evidence/{evidence.id}/thumbnail").status_code == 404
    response = dpo_client.get(f"/evidence/{evidence.id}")
    assert response.data == SVG and response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="evil.svg"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "svg" not in response.headers["Content-Type"]


def test_a_file_name_cannot_inject_a_header_or_a_second_file_name(aware_breach, dpo, dpo_client):
    evidence = cases.add_evidence(aware_breach, dpo, filename='rapport"; filename="evil.html\r\nX-Injected: 1;.pdf',
                                  stream=io.BytesIO(SECRET), max_bytes=10**6)
    db.session.commit()
    response = dpo_client.get(f"/evidence/{evidence.id}")
    disposition = response.headers["Content-Disposition"]
    assert "X-Injected" not in response.headers and "\r" not in disposition and "\n" not in disposition
    assert disposition.startswith('attachment; filename="rapport___filename=_evil.htmlX-Injected:_1_.pdf";')
    assert disposition.count('"') == 2 and 'filename="evil.html"' not in disposition


def test_a_crafted_image_gets_no_thumbnail_and_the_file_itself_is_kept(app, aware_breach, dpo_client):
    from PIL import Image

    limit_before = Image.MAX_IMAGE_PIXELS
    lying = _png_header_only(8000, 6000)  # 48 megapixels: above the vault's 40, under Pillow's own limit
    bomb = _png_header_only(100_000, 100_000)  # 10 gigapixels in a few kilobytes
    tiff = io.BytesIO()
    Image.new("RGB", (10, 10)).save(tiff, format="TIFF")  # a real image, of a format the vault never decodes
    html_as_png = b"<html><body onload=alert(1)>not an image</body></html>"
    for number, data in enumerate((lying, bomb, tiff.getvalue(), html_as_png)):
        assert _upload(dpo_client, aware_breach, data=data, name=f"capture-{number}.png").status_code == 302
    pieces = Evidence.query.order_by(Evidence.id).all()
    assert len(pieces) == 4 and all(piece.thumbnail_name is None for piece in pieces)
    assert dpo_client.get(f"/evidence/{pieces[1].id}").data == bomb  # kept as it is, byte-identical
    assert Image.MAX_IMAGE_PIXELS == limit_before  # the vault does not lower the limit of the whole process


def test_a_dpo_of_another_organisation_can_neither_read_nor_delete_a_piece(aware_breach, dpo_client, login_as,
                                                                          password):
    from notifier.accounts.organisations import Organisation
    from notifier.accounts.services import add_user

    _upload(dpo_client, aware_breach)
    evidence = Evidence.query.one()
    other = Organisation(name="Groupe voisin")
    db.session.add(other)
    db.session.commit()
    intruder = login_as(add_user("dpo@voisin.test", "dpo", password, organisation=other))
    assert intruder.get(f"/evidence/{evidence.id}").status_code == 404
    assert intruder.get(f"/evidence/{evidence.id}/thumbnail").status_code == 404
    assert intruder.post(f"/evidence/{evidence.id}/delete", data={"reason": "effacer"}).status_code == 404
    assert intruder.post(f"/breaches/{aware_breach.id}/case/evidence",
                         data={"file": (io.BytesIO(b"x"), "x.txt")},
                         content_type="multipart/form-data").status_code == 404
    assert intruder.get(f"/breaches/{aware_breach.id}/dossier.zip").status_code == 404
    db.session.expire_all()
    assert db.session.get(Evidence, evidence.id).deleted_at is None
    from notifier.audit.models import AuditEntry

    assert not AuditEntry.query.filter(AuditEntry.action.like("case.evidence_%"),
                                       AuditEntry.user_email == "dpo@voisin.test").count()


def test_an_upload_above_the_request_limit_is_answered_413_before_anything_is_read(app, aware_breach, dpo_client):
    """A huge upload is cut by Werkzeug at MAX_CONTENT_LENGTH (kept small here so that the test client's body stays
    in memory): 413 with the limit in words, no row, no file."""
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = _upload(dpo_client, aware_breach, data=b"x" * 10_000)
    assert response.status_code == 413
    assert "Fichier trop volumineux\u00a0: la limite est de" in response.get_data(as_text=True)
    assert Evidence.query.count() == 0 and not _stored_files(app)


def test_the_rekey_command_names_a_missing_stored_file_instead_of_crashing(app, aware_breach, dpo):
    evidence = cases.add_evidence(aware_breach, dpo, filename="recepisse.pdf", stream=io.BytesIO(SECRET),
                                  max_bytes=10**6)
    db.session.commit()
    (Path(app.config["STORAGE_DIR"]) / "evidence" / evidence.storage_name).unlink()
    result = app.test_cli_runner().invoke(args=["evidence", "rekey"])
    assert result.exit_code == 2
    assert result.output.startswith("error:") and evidence.storage_name in result.output
