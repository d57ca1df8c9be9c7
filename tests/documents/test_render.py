"""The renderer: WeasyPrint with letters/ assets only, autoescaped templates, PDF/A-3 with the breach attached."""

import io
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import urljoin

import pikepdf
import pypdf
import pytest
import weasyprint.urls

from notifier.documents import render
from notifier.documents.preflight import unembedded_fonts
from notifier.documents.render import (
    LETTERS_DIR,
    PDF_A3,
    EmbeddedFile,
    LettersOnlyFetcher,
    PdfMetadata,
    RefusedResource,
    letters_path,
    paragraphs,
    render_pdf,
    template_environment,
)

OUTSIDE = ("file:///etc/passwd", "http://127.0.0.1:9/x.png", "../../etc/hosts", "https://example.org/font.woff",
           "file://localhost/etc/hosts", "data:image/png;base64,iVBORw0KGgo=")


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def fetch_spy(monkeypatch):
    """Every URL WeasyPrint asks for, with what our fetcher answered; the network fetcher must never run."""
    calls = []
    original = LettersOnlyFetcher.fetch

    def spy(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except RefusedResource:
            calls.append((url, "refused"))
            raise
        calls.append((url, "served"))
        return response

    def network(self, url, headers=None):
        raise AssertionError(f"WeasyPrint's own fetcher ran for {url}")

    monkeypatch.setattr(LettersOnlyFetcher, "fetch", spy)
    monkeypatch.setattr(weasyprint.urls.URLFetcher, "fetch", network)
    return calls


def test_letters_path_serves_the_fonts_and_refuses_everything_else():
    font = LETTERS_DIR / "fonts" / "DejaVuSans.ttf"
    assert letters_path(font.as_uri()) == font.resolve()
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x.png", (LETTERS_DIR / ".." / "pyproject.toml").as_uri(),
                (LETTERS_DIR / "fonts").as_uri(), (LETTERS_DIR / "no-such-file.css").as_uri(), "data:,x"):
        with pytest.raises(RefusedResource):
            letters_path(url)


def test_a_symlink_inside_letters_cannot_lead_outside(tmp_path, monkeypatch):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    letters = tmp_path / "letters"
    letters.mkdir()
    (letters / "innocent.css").symlink_to(outside)
    monkeypatch.setattr(render, "LETTERS_DIR", letters)
    with pytest.raises(RefusedResource):
        letters_path((letters / "innocent.css").as_uri())


def test_a_document_naming_outside_resources_fetches_nothing(fetch_spy):
    tags = "".join(f'<img src="{url}"><link rel="stylesheet" href="{url}">' for url in OUTSIDE)
    style = "".join(f"@import url({url});" for url in OUTSIDE)
    pdf = render_pdf(f"<html><head><style>{style}</style></head><body>{tags}<p>Bonjour</p></body></html>")

    assert "Bonjour" in pdf_text(pdf)
    served = [url for url, outcome in fetch_spy if outcome == "served"]
    assert all(letters_path(url).is_relative_to(LETTERS_DIR.resolve()) for url in served)
    refused = {url for url, outcome in fetch_spy if outcome == "refused"}
    assert {urljoin(render.BASE_URL, url) for url in OUTSIDE[:3]} <= refused
    assert not any("hosts" in url or "passwd" in url or "http" in url for url in served)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert not document.pages[0].get_images()


def test_markup_in_a_field_rendered_through_the_templates_shows_as_text(fetch_spy):
    hostile = '<img src="file:///etc/passwd">'
    html = template_environment().from_string("<p>{{ name }}</p>{{ text | paragraphs }}").render(
        name=hostile, text=f"Ligne 1\n{hostile}\n\n<script>alert(1)</script>")
    pdf = render_pdf(html)

    text = pdf_text(pdf)
    assert text.count(hostile) == 2
    assert "<script>alert(1)</script>" in text
    assert not any("passwd" in url for url, _ in fetch_spy)


def test_paragraphs_split_on_blank_lines_and_escape():
    assert paragraphs("a & b\nc\n\n\nd") == "<p>a &amp; b<br>c</p>\n<p>d</p>"
    assert paragraphs(None) == ""


def test_pdf_a3_carries_its_identification_the_attachment_and_the_metadata():
    export = b'{"breach": {"id": "2026-007", "patients": 750000, "note": "\xc3\xa9t\xc3\xa9"}}'
    pdf = render_pdf(
        '<html lang="fr"><body><h1>Rapport de violation</h1></body></html>', pdf_variant=PDF_A3,
        attachments=[EmbeddedFile("breach-2026-007.json", export, "Export de la violation",
                                  modified=datetime(2026, 3, 16, 9, 30))],
        metadata=PdfMetadata(title="Notification CNIL 2026-007", author="DPO du CHU", subject="Violation 2026-007"))

    with pikepdf.open(io.BytesIO(pdf)) as document:
        xmp = document.open_metadata()
        assert xmp["pdfaid:part"] == "3"
        assert xmp["pdfaid:conformance"] == "B"
        assert document.attachments["breach-2026-007.json"].get_file().read_bytes() == export
        assert {str(spec.AFRelationship) for spec in document.Root.AF} == {"/Data"}
        assert str(document.docinfo["/Title"]) == "Notification CNIL 2026-007"
        assert str(document.docinfo["/Author"]) == "DPO du CHU"
        assert str(document.docinfo["/Subject"]) == "Violation 2026-007"
        assert str(document.Root.Lang) == "fr"
        assert "/OutputIntents" in document.Root


def test_every_font_is_embedded_bold_and_italic_included():
    pdf = render_pdf("<p>Normal <b>gras</b> <i>italique</i> Œ ß Ł ğ</p>")
    assert unembedded_fonts(pdf) == []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        fonts = {str(font.BaseFont).split("+")[-1] for font in document.pages[0].Resources.Font.values()}
    assert fonts == {"Notifier-Sans", "Notifier-Sans-Bold", "Notifier-Sans-Italic"}


def test_the_preflight_reports_a_font_that_is_not_embedded():
    document = pikepdf.new()
    document.add_blank_page()
    document.pages[0].Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(
        F1=pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)))
    out = io.BytesIO()
    document.save(out)
    assert unembedded_fonts(out.getvalue()) == ["Helvetica"]


def test_pages_are_a4_with_the_confidential_marking_and_page_numbers():
    pdf = render_pdf('<html lang="en"><body><p>one</p><p style="break-before: page">two</p></body></html>',
                     lang="en")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert [round(float(value)) for value in reader.pages[0].mediabox] == [0, 0, 595, 842]
    texts = [re.sub(r"\s", "", page.extract_text()) for page in reader.pages]
    assert "CONFIDENTIAL" in texts[0] and "1/2" in texts[0]
    assert "CONFIDENTIAL" in texts[1] and "2/2" in texts[1]


def test_documents_rendered_from_several_threads_each_get_their_own_content():
    with ThreadPoolExecutor(4) as pool:
        pdfs = list(pool.map(lambda n: render_pdf(f"<p>Document numéro {n}</p>"), range(8)))
    assert [re.search(r"Document numéro (\d+)", pdf_text(pdf)).group(1) for pdf in pdfs] == [str(n) for n in range(8)]
