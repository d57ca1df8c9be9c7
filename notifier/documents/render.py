"""The single way the app turns HTML into PDF: Jinja2 templates and WeasyPrint, with assets from letters/ only.

WeasyPrint fetches any URL or file a document names (docs/domain.md, "Rendering with WeasyPrint"). A patient's name or
a DPO's text ends up
in these documents, so the fetcher serves files under letters/ and nothing else, and templates autoescape.
"""

from __future__ import annotations

import atexit
import gc
import logging
import mimetypes
import multiprocessing.util
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import jinja2
from markupsafe import Markup, escape
from weasyprint import CSS, HTML, Attachment
from weasyprint.css import ColorProfile
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from notifier.core.i18n import SOURCE_LANGUAGE, catalog, normalise_language, translate
from notifier.core.paths import resource_dir

LETTERS_DIR = resource_dir("letters")
BASE_URL = LETTERS_DIR.as_uri() + "/"
DEFAULT_STYLESHEETS = ("base.css",)
PDF_A3 = "pdf/a-3b"

logger = logging.getLogger(__name__)


class RefusedResource(ValueError):
    """A document named a resource outside letters/. WeasyPrint catches it and renders without the resource."""


class _RefusalFilter(logging.Filter):
    """Our fetcher reports each refused URL once; WeasyPrint would repeat it for every document rendered."""

    def filter(self, record: logging.LogRecord) -> bool:
        return RefusedResource.__name__ not in record.getMessage()


logging.getLogger("weasyprint").addFilter(_RefusalFilter())
# One "Step n - ..." info line per document is noise when rendering thousands of letters.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def letters_path(url: str) -> Path:
    """The file under letters/ that `url` names, or RefusedResource.

    Only file: URLs are served; symlinks and `..` are resolved before the check, so neither can lead outside.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedResource(f"only files under letters/ are served, not {url[:200]!r}")
    try:
        path = Path(url2pathname(unquote(parts.path))).resolve(strict=True)
    except (OSError, RuntimeError) as error:
        raise RefusedResource(f"no such letters/ file: {url[:200]!r}") from error
    if not path.is_relative_to(LETTERS_DIR.resolve()) or not path.is_file():
        raise RefusedResource(f"only files under letters/ are served, not {url[:200]!r}")
    return path


class LettersOnlyFetcher(URLFetcher):
    """WeasyPrint URL fetcher serving letters/ files only (WeasyPrint 70: subclass URLFetcher, override fetch)."""

    _reported: set[str] = set()

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        try:
            path = letters_path(url)
        except RefusedResource:
            if url not in self._reported and len(self._reported) < 100:
                self._reported.add(url)
                logger.warning("refused to fetch %.200s for a document", url)
            raise
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})


@dataclass(frozen=True)
class PdfMetadata:
    """Document information written to the PDF (Info dictionary and XMP)."""

    title: str = ""
    author: str = ""
    subject: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmbeddedFile:
    """A file carried inside the PDF, e.g. the breach's JSON export inside the CNIL report.

    `relationship` is the PDF/A-3 AFRelationship (ISO 19005-3, 6.8): "Data" for data the document presents,
    "Source" for the file the document was produced from.
    """

    name: str
    data: bytes
    description: str = ""
    relationship: str = "Data"
    modified: datetime | None = None


class _RenderState:
    """What WeasyPrint lets us build once per process: font configuration, fetcher, parsed stylesheets."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.fetcher = LettersOnlyFetcher()
        self.font_config = FontConfiguration()
        self.stylesheets: dict[str, CSS] = {}

    def stylesheet(self, name: str) -> CSS:
        if name not in self.stylesheets:
            path = letters_path((LETTERS_DIR / name).as_uri())
            self.stylesheets[name] = CSS(
                string=path.read_text(encoding="utf-8"), base_url=path.as_uri(),
                url_fetcher=self.fetcher, font_config=self.font_config)
        return self.stylesheets[name]


_state: _RenderState | None = None
# WeasyPrint shares the font configuration between documents but is not documented as thread-safe; threads do not
# make it faster anyway (docs/domain.md, "Rendering with WeasyPrint"), so one rendering at a time per process.
_lock = threading.Lock()


def _new_lock_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # a fork copies the lock in whatever state another thread left it


os.register_at_fork(after_in_child=_new_lock_in_child)


def _render_state() -> _RenderState:
    global _state
    if _state is None or _state.pid != os.getpid():
        if _state is not None:
            # Inherited through fork: the parent owns that font folder and FontConfiguration.__del__ would delete it.
            _state.font_config._folder = None
        _state = _RenderState()
        # WeasyPrint's font configuration crashes the interpreter (SIGSEGV) if it is finalised during interpreter
        # teardown, after the libraries it calls: release it while they are still there, in processes and pool workers.
        atexit.register(_release_render_state)
        multiprocessing.util.Finalize(None, _release_render_state, exitpriority=0)
    return _state


def _release_render_state() -> None:
    global _state
    if _state is not None and _state.pid == os.getpid():
        _state = None
        # The font configuration sits in reference cycles; collecting now runs its __del__, which removes its
        # temporary font folder.
        gc.collect()


def paragraphs(text: str | None) -> Markup:
    """Plain text typed by the DPO -> escaped HTML paragraphs (blank line = new paragraph, newline = line break)."""
    blocks = [block.strip() for block in (text or "").replace("\r\n", "\n").split("\n\n")]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in block.split("\n")))
        for block in blocks if block)


_environments: dict[str, jinja2.Environment] = {}


def template_environment(lang: str = SOURCE_LANGUAGE) -> jinja2.Environment:
    """Jinja2 environment over letters/ in one language: autoescape on for every template, undefined variables are
    errors, and ``_()``, ``gettext()``, ``ngettext()`` and ``{% trans %}`` translate through the catalog into
    ``lang`` (one environment per language, so a document never takes the language of a request by accident)."""
    lang = normalise_language(lang)
    if lang not in _environments:
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(LETTERS_DIR), autoescape=True, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, extensions=["jinja2.ext.i18n"])
        environment.filters["paragraphs"] = paragraphs
        environment.install_gettext_callables(  # type: ignore[attr-defined]
            lambda message: translate(message, lang),
            lambda singular, plural, count: catalog(lang).ngettext(singular, plural, count), newstyle=True)
        environment.globals["lang"] = lang
        _environments[lang] = environment
    return _environments[lang]


def render_template(name: str, *, lang: str, **context) -> str:
    """Render the template letters/<name> in ``lang`` (fr or en), with autoescaping."""
    return template_environment(lang).get_template(name).render(lang=normalise_language(lang), **context)


_SRGB = "notifier-srgb"


def _srgb_profile() -> ColorProfile:
    with (files("weasyprint.pdf") / "sRGB2014.icc").open("rb") as icc:
        return ColorProfile(icc, "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"]))


def render_pdf(
    html: str,
    *,
    pdf_variant: str | None = None,
    attachments: Iterable[EmbeddedFile] | None = None,
    metadata: PdfMetadata | None = None,
    lang: str = "fr",
    stylesheets: Sequence[str] = DEFAULT_STYLESHEETS,
    audit_footer: str | None = None,
) -> bytes:
    """HTML -> PDF bytes. Relative URLs resolve against letters/; `stylesheets` are letters/ files parsed once per
    process and applied before the document's own styles. `pdf_variant`: a WeasyPrint variant name, e.g. PDF_A3.
    `audit_footer`: the signed audit checkpoint's short form (audit.services.document_checkpoint), printed at the
    bottom of every page of the documents the application issues (reports, register, audit trail).
    """
    with _lock:
        return _render(html, pdf_variant, attachments, metadata, lang, stylesheets, audit_footer)


def _footer_stylesheet(text: str, state: _RenderState) -> CSS:
    quoted = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    rule = ('@page { @bottom-center { content: "' + quoted + '"; font-family: "Notifier Sans"; font-size: 6.5pt; '
            'color: #333; } }')
    return CSS(string=rule, url_fetcher=state.fetcher, font_config=state.font_config)


def _render(html, pdf_variant, attachments, metadata, lang, stylesheets, audit_footer=None) -> bytes:
    state = _render_state()
    weasy_attachments = [
        Attachment(string=item.data, name=item.name, description=item.description or None,
                   relationship=item.relationship, created=item.modified, modified=item.modified)
        for item in attachments or ()]
    options = {
        "stylesheets": [state.stylesheet(name) for name in stylesheets]
        + ([_footer_stylesheet(audit_footer, state)] if audit_footer else []),
        "pdf_variant": pdf_variant,
        "attachments": weasy_attachments,
    }
    color_profiles = {}
    if pdf_variant and pdf_variant.startswith("pdf/a"):
        # PDF/A needs an output intent (ISO 19005, 6.2.3). WeasyPrint 70's own "srgb" intent leaves the ICC file
        # open (a ResourceWarning per document); the same profile, loaded here and closed, avoids that.
        color_profiles[_SRGB] = _srgb_profile()
        options["output_intent"] = _SRGB
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=state.fetcher).render(
        font_config=state.font_config, color_profiles=color_profiles, **options)
    info = document.metadata
    info.lang = lang
    if metadata is not None:
        info.title = metadata.title or info.title
        info.authors = [metadata.author] if metadata.author else info.authors
        info.description = metadata.subject or info.description
        info.keywords = list(metadata.keywords) or info.keywords
    return document.write_pdf(**options)

