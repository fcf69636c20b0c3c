"""APDU and BER-TLV helpers shared by the host side (``piv``) and the virtual card.

Only what PIV needs: short APDUs with command chaining for long data, GET RESPONSE for long
answers, and the simple BER-TLV of the PIV data objects (tags of one to three bytes,
lengths up to 0xFFFF).
"""

from __future__ import annotations

from collections.abc import Iterator

SW_OK = 0x9000
CHAIN_BIT = 0x10
MAX_SHORT_DATA = 255


def command(cla: int, ins: int, p1: int, p2: int, data: bytes = b"",
            le: int | None = None) -> bytes:
    """One short command APDU (``le`` 0 means up to 256 bytes)."""
    apdu = bytes((cla, ins, p1, p2))
    if data:
        if len(data) > MAX_SHORT_DATA:
            raise ValueError("data longer than 255 bytes needs command chaining")
        apdu += bytes((len(data),)) + data
    if le is not None:
        apdu += bytes((le & 0xFF,))
    return apdu


def chained(cla: int, ins: int, p1: int, p2: int, data: bytes,
            le: int | None = 0) -> list[bytes]:
    """The command APDUs of one command, chained (CLA bit 0x10) when the data is long."""
    pieces = [data[i:i + MAX_SHORT_DATA] for i in range(0, len(data), MAX_SHORT_DATA)] or [b""]
    out = [command(cla | CHAIN_BIT, ins, p1, p2, piece) for piece in pieces[:-1]]
    out.append(command(cla, ins, p1, p2, pieces[-1], le))
    return out


def tlv(tag: int, value: bytes) -> bytes:
    """Encode one BER-TLV element."""
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    n = len(value)
    if n < 0x80:
        length = bytes((n,))
    elif n <= 0xFF:
        length = bytes((0x81, n))
    elif n <= 0xFFFF:
        length = bytes((0x82,)) + n.to_bytes(2, "big")
    else:
        raise ValueError("TLV value longer than 65535 bytes")
    return tag_bytes + length + value


def _read_tag(data: bytes, i: int) -> tuple[int, int]:
    tag = data[i]
    i += 1
    if tag & 0x1F == 0x1F:
        while True:
            if i >= len(data):
                raise ValueError("truncated TLV tag")
            tag = (tag << 8) | data[i]
            i += 1
            if not data[i - 1] & 0x80:
                break
    return tag, i


def _read_length(data: bytes, i: int) -> tuple[int, int]:
    if i >= len(data):
        raise ValueError("truncated TLV length")
    first = data[i]
    if first < 0x80:
        return first, i + 1
    count = first & 0x7F
    if count not in (1, 2) or i + 1 + count > len(data):
        raise ValueError("unsupported TLV length")
    return int.from_bytes(data[i + 1:i + 1 + count], "big"), i + 1 + count


def iter_tlv(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The (tag, value) elements of a TLV sequence; ValueError when it is broken."""
    i = 0
    while i < len(data):
        tag, i = _read_tag(data, i)
        length, i = _read_length(data, i)
        if i + length > len(data):
            raise ValueError("truncated TLV value")
        yield tag, data[i:i + length]
        i += length


def find_tlv(data: bytes, tag: int) -> bytes:
    """The value of the first element with ``tag``; ValueError when there is none."""
    for found, value in iter_tlv(data):
        if found == tag:
            return value
    raise ValueError(f"TLV tag {tag:X} missing")
