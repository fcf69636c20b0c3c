"""One PDF per document: greyscale JPEG pages, invisible OCR text, transfer note (PDF/A-2b aim).

Each page image is encoded once by ``encode_page_image`` (deterministic), so the SHA-256
printed on the receipt (``page_image_hashes``) equals the hash of the image stream inside
the PDF. The text layer is Tesseract's own text-only PDF page laid over the image. The
transfer note (BSI TR-03138 spirit: who, when, device and settings, quality scores, page
hashes) is stored as JSON in an XMP property described by a PDF/A extension schema. Its
``"extensions"`` list carries versioned facts added by later capabilities; this module only
writes what it is given (the kiosk validates them with ``wire.transfer_note`` first), and
``write_note_extensions`` puts them into an existing PDF without touching its pages.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, unescape

import cv2
import numpy as np
import pikepdf
from PIL import ImageCms

from scanning.models import PageResult

PRODUCER = "jobcenter-kiosk scanning 0.1 (pikepdf)"
NOTE_NS = "https://jobcenter-kiosk.invalid/ns/transfer-note/1.0/"
NOTE_EXTENSIONS_KEY = "extensions"
_NOTE_RE = re.compile(r"<jck:TransferNote>(.*?)</jck:TransferNote>", re.S)


def encode_page_image(
    page: np.ndarray, dpi: float, *, max_dpi: float = 200.0, quality: int = 55
) -> tuple[bytes, int, int]:
    """Greyscale JPEG of a page (downsampled to ``max_dpi``); returns (bytes, width, height)."""
    grey = page if page.ndim == 2 else cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    if dpi > max_dpi:
        factor = max_dpi / dpi
        grey = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(
        ".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1]
    )
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes(), grey.shape[1], grey.shape[0]


def _pdf_image(result: PageResult, max_dpi: float, quality: int) -> tuple[bytes, int, int]:
    from scanning.pipeline import ocr_input  # the flattened page OCR read

    assert result.verdict.image is not None
    return encode_page_image(
        ocr_input(result.verdict.image),
        result.verdict.image_dpi or 300,
        max_dpi=max_dpi,
        quality=quality,
    )


def page_image_hashes(
    pages: Sequence[PageResult], *, max_dpi: float = 200.0, quality: int = 55
) -> list[str]:
    """SHA-256 (hex) of each page's embedded image stream, available before the PDF exists."""
    return [hashlib.sha256(_pdf_image(p, max_dpi, quality)[0]).hexdigest() for p in pages]


def short_hash(hashes: Sequence[str], length: int = 12) -> str:
    """A short receipt hash over all page hashes, in page order."""
    return hashlib.sha256("".join(hashes).encode()).hexdigest()[:length]


def _xmp(title: str, when: str, note_json: str) -> bytes:
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#"
    xmlns:jck="{NOTE_NS}">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
   <xmp:CreateDate>{when}</xmp:CreateDate>
   <xmp:ModifyDate>{when}</xmp:ModifyDate>
   <xmp:MetadataDate>{when}</xmp:MetadataDate>
   <xmp:CreatorTool>jobcenter-kiosk</xmp:CreatorTool>
   <pdf:Producer>{escape(PRODUCER)}</pdf:Producer>
   <jck:TransferNote>{escape(note_json)}</jck:TransferNote>
   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:schema>jobcenter-kiosk transfer note</pdfaSchema:schema>
    <pdfaSchema:namespaceURI>{NOTE_NS}</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>jck</pdfaSchema:prefix>
    <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
     <pdfaProperty:name>TransferNote</pdfaProperty:name>
     <pdfaProperty:valueType>Text</pdfaProperty:valueType>
     <pdfaProperty:category>external</pdfaProperty:category>
     <pdfaProperty:description>Transfer note (JSON)</pdfaProperty:description>
    </rdf:li></rdf:Seq></pdfaSchema:property>
   </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def _srgb_profile() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return bytes(profile.tobytes())


def _add_page(pdf: pikepdf.Pdf, result: PageResult, max_dpi: float, quality: int) -> str:
    jpeg, width, height = _pdf_image(result, max_dpi, quality)
    width_mm, height_mm = result.verdict.page_size_mm
    pw, ph = width_mm / 25.4 * 72, height_mm / 25.4 * 72
    text_pdf = result.ocr.text_pdf if result.ocr is not None else None
    if text_pdf:
        with pikepdf.open(io.BytesIO(text_pdf)) as layer:
            pdf.pages.append(layer.pages[0])
        page = pdf.pages[-1]
        box = [float(v) for v in page.mediabox]
        sx, sy = pw / (box[2] - box[0]), ph / (box[3] - box[1])
        # stretch the text layer onto the physical page size
        page.contents_add(
            pikepdf.Stream(pdf, f"q {sx:.5f} 0 0 {sy:.5f} 0 0 cm\n".encode()), prepend=True
        )
        page.contents_add(pikepdf.Stream(pdf, b"\nQ\n"))
        page.mediabox = pikepdf.Array([0, 0, round(pw, 2), round(ph, 2)])
        if "/CropBox" in page.obj:
            del page.obj["/CropBox"]
    else:
        pdf.add_blank_page(page_size=(pw, ph))
        page = pdf.pages[-1]
    image = pikepdf.Stream(pdf, jpeg)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height = width, height
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceGray, 8
    image.Filter = pikepdf.Name.DCTDecode
    name = page.add_resource(image, pikepdf.Name.XObject, prefix="Scan")
    draw = f"q {pw:.3f} 0 0 {ph:.3f} 0 0 cm {name} Do Q\n".encode()
    page.contents_add(pikepdf.Stream(pdf, draw), prepend=True)
    return hashlib.sha256(jpeg).hexdigest()


def build_document_pdf(
    pages: Sequence[PageResult],
    transfer_note: Mapping[str, Any],
    *,
    max_dpi: float = 200.0,
    quality: int = 55,
    note_extensions: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """Build one PDF for a document; the transfer note gains page hashes and quality scores.

    ``note_extensions`` (already validated envelopes) become the note's ``"extensions"``.
    """
    if not pages or any(p.verdict.image is None for p in pages):
        raise ValueError("every page needs a rectified image")
    pdf = pikepdf.new()
    hashes = [_add_page(pdf, p, max_dpi, quality) for p in pages]
    note = dict(transfer_note)
    note.setdefault("created_at", datetime.now(UTC).isoformat(timespec="seconds"))
    note["pages"] = [
        {
            "sha256": digest,
            "rotation": p.verdict.rotation,
            "effective_dpi": p.verdict.effective_dpi,
            "scores": p.verdict.scores.as_dict(),
            "verdict": p.verdict.verdict,
            "reasons": list(p.verdict.reasons),
            "language": p.language,
        }
        for digest, p in zip(hashes, pages, strict=True)
    ]
    note["images_sha256"] = hashes
    if note_extensions:
        note[NOTE_EXTENSIONS_KEY] = [dict(e) for e in note_extensions]
    note_json = json.dumps(note, ensure_ascii=False, sort_keys=True)
    when = datetime.now(UTC)
    iso = when.isoformat(timespec="seconds").replace("+00:00", "Z")
    pdf_date = when.strftime("D:%Y%m%d%H%M%SZ")
    title = f"Dokument {note.get('document_type', '')}".strip()
    pdf.Root.Metadata = pikepdf.Stream(
        pdf, _xmp(title, iso, note_json), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
    )
    icc = pikepdf.Stream(pdf, _srgb_profile(), N=3)
    pdf.Root.OutputIntents = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier=pikepdf.String("sRGB"),
                DestOutputProfile=icc,
            )
        ]
    )
    pdf.docinfo = pdf.make_indirect(
        pikepdf.Dictionary(
            Title=pikepdf.String(title),
            Producer=pikepdf.String(PRODUCER),
            Creator=pikepdf.String("jobcenter-kiosk"),
            CreationDate=pikepdf.String(pdf_date),
            ModDate=pikepdf.String(pdf_date),
        )
    )
    out = io.BytesIO()
    pdf.save(out, static_id=False, deterministic_id=False, fix_metadata_version=False)
    return out.getvalue()


def _xmp_text(pdf: pikepdf.Pdf) -> str:
    if "/Metadata" not in pdf.Root:
        return ""
    return bytes(pdf.Root.Metadata.read_bytes()).decode("utf-8", "replace")


def read_transfer_note(pdf_bytes: bytes) -> dict[str, Any]:
    """The transfer note stored in a PDF made by ``build_document_pdf`` ({} if absent)."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        xmp = _xmp_text(pdf)
    match = _NOTE_RE.search(xmp)
    if not match:
        return {}
    loaded: dict[str, Any] = json.loads(unescape(match.group(1)))
    return loaded


def write_note_extensions(pdf_bytes: bytes, extensions: Sequence[Mapping[str, Any]]) -> bytes:
    """The PDF with its transfer note's ``"extensions"`` set to ``extensions``.

    Only the XMP packet changes; page content and image streams are kept byte for byte, so
    page hashes (and the receipt's page hash) stay the same. A PDF without a transfer note
    (one made by an older kiosk) gets a fresh packet holding a note with just the extensions.
    """
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        xmp = _xmp_text(pdf)
        match = _NOTE_RE.search(xmp)
        note: dict[str, Any] = json.loads(unescape(match.group(1))) if match else {}
        note[NOTE_EXTENSIONS_KEY] = [dict(e) for e in extensions]
        note_json = json.dumps(note, ensure_ascii=False, sort_keys=True)
        if match:
            packet = (xmp[: match.start(1)] + escape(note_json) + xmp[match.end(1) :]).encode()
        else:
            title = str(pdf.docinfo.get("/Title", "Dokument"))
            iso = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            packet = _xmp(title, iso, note_json)
        pdf.Root.Metadata = pikepdf.Stream(
            pdf, packet, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
        )
        out = io.BytesIO()
        pdf.save(out, static_id=False, deterministic_id=False, fix_metadata_version=False)
    return out.getvalue()
