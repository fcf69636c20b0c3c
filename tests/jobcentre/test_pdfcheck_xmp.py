"""``pdfcheck.xmp_properties`` reads the same XMP properties as pikepdf's ``items()``.

The one-pass reader must give the stored ``pdf_metadata.xmp`` exactly as before: on the
kiosk's own packet (transfer note, PDF/A extension schema), and on packets with property
attributes, language alternatives, bags, sequences and a property repeated in a second
``rdf:Description`` (the first value wins in both). So must ``packet_properties``, which
reads a well-formed packet without pikepdf, and leaves every other packet to pikepdf.
"""

from __future__ import annotations

import io

import pikepdf
import pytest

from jobcentre.pdfcheck import inspect_pdf, packet_properties, xmp_properties
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


RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
DC_NS = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'
EDGES = {
    "alt without x-default": f"""<rdf:RDF {RDF_NS}><rdf:Description {DC_NS}><dc:title><rdf:Alt>
        <rdf:li xml:lang="de">Erster</rdf:li><rdf:li xml:lang="en">Second</rdf:li></rdf:Alt>
        </dc:title></rdf:Description></rdf:RDF>""",
    "empty alt, empty item": f"""<rdf:RDF {RDF_NS}><rdf:Description {DC_NS}>
        <dc:title><rdf:Alt/></dc:title><dc:rights><rdf:Alt><rdf:li xml:lang="x-default"/>
        </rdf:Alt></dc:rights></rdf:Description></rdf:RDF>""",
    "comment in a bag and a seq": f"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF_NS}>
        <rdf:Description {DC_NS}><!-- c --><dc:subject><rdf:Bag><!-- note --><rdf:li>a</rdf:li>
        <rdf:li/></rdf:Bag></dc:subject><dc:creator><rdf:Seq><rdf:li>x</rdf:li><!-- y -->
        </rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>""",
    "structure and unknown namespace": f"""<rdf:RDF {RDF_NS}><rdf:Description
        xmlns:q="urn:example:q" q:flag="1" about="plain"><q:nested><rdf:Description>
        <q:inner>v</q:inner></rdf:Description></q:nested><q:blank>   </q:blank>
        <title>no namespace</title></rdf:Description></rdf:RDF>""",
    "two descriptions": f"""<rdf:RDF {RDF_NS}><rdf:Description {DC_NS} dc:format="a"/>
        <rdf:Description {DC_NS}><dc:format>b</dc:format><dc:type>t</dc:type>
        </rdf:Description></rdf:RDF>""",
}
TO_PIKEPDF = {
    "not well-formed": "<rdf:RDF><unclosed>",
    "undeclared prefix": f"<rdf:RDF {RDF_NS}><rdf:Description><xmp:Tool>t</xmp:Tool>"
                         "</rdf:Description></rdf:RDF>",
    "xml but not xmp": "<html><body>no rdf</body></html>",
}


def _through_pikepdf(data: bytes) -> dict[str, str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        return xmp_properties(meta)


@pytest.mark.parametrize("name", list(EDGES))
def test_packet_reader_matches_pikepdf(name: str) -> None:
    packet = EDGES[name].encode()
    read = packet_properties(packet)
    assert read is not None
    expected = _through_pikepdf(_pdf(packet))
    assert read == expected and list(read) == list(expected)
    assert inspect_pdf(_pdf(packet), 1, 50).xmp == expected


@pytest.mark.parametrize("make", [_kiosk_pdf, lambda: _pdf(MIXED)])
def test_packet_reader_matches_pikepdf_on_our_packets(make: object) -> None:
    data = make()  # type: ignore[operator]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        packet = pdf.Root.Metadata.read_bytes()
    assert packet_properties(packet) == _through_pikepdf(data)


@pytest.mark.parametrize("name", list(TO_PIKEPDF))
def test_packets_pikepdf_must_repair_are_left_to_it(name: str) -> None:
    packet = TO_PIKEPDF[name].encode()
    assert packet_properties(packet) is None
    data = _pdf(packet)
    try:
        expected = _through_pikepdf(data)
    except Exception:  # noqa: BLE001 - pikepdf gave up: the Info dictionary alone counts
        expected = {}
    assert inspect_pdf(data, 1, 50).xmp == expected
