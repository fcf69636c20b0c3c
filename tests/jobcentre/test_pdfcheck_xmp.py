"""``pdfcheck.xmp_properties`` reads the same XMP properties as pikepdf's ``items()``.

The one-pass reader must give the stored ``pdf_metadata.xmp`` exactly as before: on the
kiosk's own packet (transfer note, PDF/A extension schema), and on packets with property
attributes, language alternatives, bags, sequences and a property repeated in a second
``rdf:Description`` (the first value wins in both).
"""

from __future__ import annotations

import io

import pikepdf
import pytest

from jobcentre.pdfcheck import inspect_pdf, xmp_properties
from scanning.pdf import write_note_extensions

MIXED = b"""<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
   xmlns:xmp="http://ns.adobe.com/xap/1.0/" pdf:Producer="jobcenter-kiosk attr"
   xmp:CreatorTool="tool">
 </rdf:Description>
 <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
   xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
  <dc:title><rdf:Alt><rdf:li xml:lang="de">Titel</rdf:li>
   <rdf:li xml:lang="x-default">Title</rdf:li></rdf:Alt></dc:title>
  <dc:creator><rdf:Seq><rdf:li>B</rdf:li><rdf:li>A</rdf:li></rdf:Seq></dc:creator>
  <dc:subject><rdf:Bag><rdf:li>only</rdf:li></rdf:Bag></dc:subject>
  <dc:description></dc:description>
  <pdf:Producer>jobcenter-kiosk second</pdf:Producer>
 </rdf:Description>
</rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""


def _pdf(xmp: bytes | None) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Producer"] = "jobcenter-kiosk test"
    if xmp is not None:
        pdf.Root.Metadata = pikepdf.Stream(pdf, xmp, Type=pikepdf.Name.Metadata,
                                           Subtype=pikepdf.Name.XML)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _kiosk_pdf() -> bytes:
    extension = {"kind": "x", "version": 1, "data": {"k": "v"}}
    return write_note_extensions(_pdf(None), [extension])


@pytest.mark.parametrize("make", [_kiosk_pdf, lambda: _pdf(MIXED), lambda: _pdf(None)])
def test_one_pass_reader_matches_items(make: object) -> None:
    data = make()  # type: ignore[operator]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        expected = {str(k): str(v) for k, v in meta.items()}
        assert xmp_properties(meta) == expected
        assert list(xmp_properties(meta)) == list(expected)


def test_mixed_packet_values_and_first_value_wins() -> None:
    facts = inspect_pdf(_pdf(MIXED), 1, 50)
    producer = "{http://ns.adobe.com/pdf/1.3/}Producer"
    assert facts.xmp[producer] == "jobcenter-kiosk attr"
    assert facts.xmp["{http://purl.org/dc/elements/1.1/}title"] == "Title"
    assert facts.xmp["{http://purl.org/dc/elements/1.1/}creator"] == "['B', 'A']"
    assert facts.xmp["{http://purl.org/dc/elements/1.1/}subject"] == "{'only'}"


def test_kiosk_note_is_read() -> None:
    facts = inspect_pdf(_kiosk_pdf(), 1, 50)
    notes = [v for k, v in facts.xmp.items() if k.endswith("}TransferNote")]
    assert len(notes) == 1 and '"kind": "x"' in notes[0]
