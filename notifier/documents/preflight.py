"""Checks a PDF before it leaves for the print shop."""

from __future__ import annotations

import io

import pikepdf


def unembedded_fonts(pdf: bytes) -> list[str]:
    """Names of the fonts used by the pages (Form XObjects included) whose program is not embedded.

    Print shops reject PDFs with fonts not embedded (docs/domain.md, "Fonts"). A font program is embedded through
    /FontFile, /FontFile2 or /FontFile3 in its font descriptor (ISO 32000-1, 9.9); Type3 fonts are drawn with PDF
    operators and need none.
    """
    missing: set[str] = set()
    seen: set[tuple[int, int]] = set()

    def visit_resources(resources) -> None:
        if resources is None:
            return
        for font in (resources.get("/Font") or {}).values():
            visit_font(font)
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.is_indirect:
                if xobject.objgen in seen:
                    continue
                seen.add(xobject.objgen)
            if xobject.get("/Subtype") == "/Form":
                visit_resources(xobject.get("/Resources"))

    def visit_font(font) -> None:
        subtype = font.get("/Subtype")
        if subtype == "/Type3":
            visit_resources(font.get("/Resources"))
            return
        if subtype == "/Type0":
            for descendant in font.get("/DescendantFonts", []):
                visit_font(descendant)
            return
        descriptor = font.get("/FontDescriptor")
        if descriptor is None or not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
            missing.add(str(font.get("/BaseFont", "(unnamed)")).lstrip("/"))

    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            visit_resources(inherited(page.obj, "/Resources"))
    return sorted(missing)


def inherited(page: pikepdf.Dictionary, key: str):
    """A page attribute, looked up through the page tree: /Resources and /MediaBox are inheritable (7.7.3.4)."""
    node = page
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None
