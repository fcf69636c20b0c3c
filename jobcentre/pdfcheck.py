"""Checks that a decrypted document is a PDF of our own making, and reads its metadata.

"Our own making" means: it parses with pikepdf, its Producer (Info dictionary or XMP
``pdf:Producer``) starts with ``jobcenter-kiosk``, and its page count matches what the
kiosk announced and stays within the page limit. The whole Info dictionary and the XMP
properties are returned as plain strings for storing as JSON.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from lxml import etree

from foundation.errors import ApiError
from wire.protocol import ERROR_NOT_OUR_PDF, ERROR_TOO_MANY_PAGES, PDF_PRODUCER_PREFIX

log = logging.getLogger(__name__)
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PARSERS = threading.local()


@dataclass(frozen=True)
class PdfFacts:
    """What the service learnt from a PDF."""

    pages: int
    producer: str
    info: dict[str, str] = field(default_factory=dict)
    xmp: dict[str, str] = field(default_factory=dict)


def _read_xmp(pdf: pikepdf.Pdf) -> dict[str, str]:
    try:
        stream = pdf.Root.get("/Metadata")
        if not isinstance(stream, pikepdf.Stream):
            return {}  # pikepdf reads an empty packet then
        found = packet_properties(stream.read_bytes())
        if found is not None:
            return found
        # read only: as a context manager it would serialise the packet back on exit
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        return xmp_properties(meta)
    except Exception:  # noqa: BLE001 - broken XMP is not fatal, the Info dict still counts
        log.info("XMP metadata unreadable; keeping the Info dictionary only")
        return {}


def packet_properties(data: bytes) -> dict[str, str] | None:
    """The properties of a well-formed XMP packet, exactly as ``xmp_properties`` reads them
    through pikepdf, at a fifth of the CPU; None for any packet pikepdf would have to
    repair or reject (not well-formed, no ``rdf:RDF``): its reading decides then.

    pikepdf builds a parser per packet and repairs names before reading; a well-formed
    packet needs neither. Values: an element's text, else its ``rdf:Alt`` default (the
    ``x-default`` item, else the first), else its ``rdf:Bag`` as a set, its ``rdf:Seq`` as a
    list, else ""; property attributes of each top-level ``rdf:Description`` first; the first
    value of a name wins.
    """
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:  # lxml parsers are not shared between threads
        parser = _PARSERS.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError):  # pikepdf's reading recovers what it can
        return None
    rdf = root.find(f".//{_RDF}RDF")
    if rdf is None:
        if root.tag != f"{_RDF}RDF":
            return None
        rdf = root
    found: dict[str, str] = {}
    for description in rdf.findall(f"{_RDF}Description"):
        for name, value in description.items():
            if not str(name).startswith(_RDF):
                found.setdefault(str(name), str(value))
        for node in description.findall("*"):
            text = node.text
            found.setdefault(str(node.tag), str(text if text and text.strip()
                                                 else _container_value(node)))
    return found


def _container_value(node: Any) -> Any:
    """pikepdf's value of a property without text (``_get_subelements``)."""
    alt = node.find(f"{_RDF}Alt")
    if alt is not None:
        items = alt.findall(f"{_RDF}li")
        default = next((i for i in items if i.get(_XML_LANG) == "x-default"),
                       items[0] if items else None)
        return default.text if default is not None else ""
    bag = node.find(f"{_RDF}Bag")
    if bag is not None:
        return {item.text for item in bag}
    seq = node.find(f"{_RDF}Seq")
    if seq is not None:
        return [item.text for item in seq]
    return ""


def xmp_properties(meta: pikepdf.models.PdfMetadata) -> dict[str, str]:
    """``{str(k): str(v) for k, v in meta.items()}``, in one pass over the packet.

    ``items()`` looks every key up again from the top (quadratic in the properties); the
    first value found for a key is the same, as is the error for a key pikepdf cannot name.
    Falls back to ``items()`` if pikepdf's document object lacks what this reads.
    """
    doc = getattr(meta, "_xmp_doc", None)
    if doc is None or not hasattr(doc, "_get_elements") or not hasattr(doc, "qname"):
        return {str(k): str(v) for k, v in meta.items()}
    found: dict[str, str] = {}
    for node, attrib, value, _parent in doc._get_elements():
        key = str(attrib) if attrib else str(node.tag)
        if key not in found:
            doc.qname(key)  # raises ValueError for a key items() could not look up either
            found[key] = str(value)
    return found


def inspect_pdf(content: bytes, expected_pages: int, max_pages: int) -> PdfFacts:
    """Return the PDF's facts or raise ``ApiError`` 422 ``not_our_pdf``/``too_many_pages``."""
    if not content.startswith(b"%PDF-"):
        raise ApiError(422, ERROR_NOT_OUR_PDF)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pikepdf.open(io.BytesIO(content)) as pdf:
                pages = len(pdf.pages)
                info = {str(k).lstrip("/"): str(v) for k, v in pdf.docinfo.items()}
                xmp = _read_xmp(pdf)
    except Exception as exc:  # noqa: BLE001 - any parser failure means "not a PDF we made"
        raise ApiError(422, ERROR_NOT_OUR_PDF) from exc
    producer = info.get("Producer", "")
    if not producer.startswith(PDF_PRODUCER_PREFIX):
        producer = next(
            (v for k, v in xmp.items() if k.endswith("}Producer") or k == "pdf:Producer"), ""
        )
    if not producer.startswith(PDF_PRODUCER_PREFIX):
        raise ApiError(422, ERROR_NOT_OUR_PDF)
    if pages > max_pages:
        raise ApiError(422, ERROR_TOO_MANY_PAGES)
    if pages != expected_pages:
        raise ApiError(422, ERROR_NOT_OUR_PDF, detail="page count differs")
    return PdfFacts(pages=pages, producer=producer, info=info, xmp=xmp)
