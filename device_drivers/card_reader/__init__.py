"""Staff smart cards through PC/SC: the reader seam, its drivers and the PIV card application.

    protocol.py   CardReader: presence, wait for a card, connect, transmit(APDU) -> (data, SW)
    pcsc.py       the real reader via pcscd (pyscard imported lazily)
    simulated.py  a scripted reader holding virtual cards (embedded default, UI tests)
    piv.py        host side of PIV: SELECT, certificate 9A, VERIFY PIN, GENERAL AUTHENTICATE
    keys.py       card public keys: load, name (SHA-256 of the SPKI), verify a signature
    piv_card.py   a PIV card in Python (card side) for the simulator and the vpcd card
    vpcd.py       that card behind a real pcscd through vsmartcard's virtual reader
    apdu.py       APDU chaining and BER-TLV

Who the card's holder is, and whether the kiosk trusts them, is decided above this layer
(``kiosk.staffcard``) against the signed staff directory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.model import CardReaderConfig
    from device_drivers.card_reader.protocol import CardReader


def create_card_reader(config: CardReaderConfig) -> CardReader | None:
    """The reader the config names (``none`` gives None)."""
    if config.driver == "none":
        return None
    if config.driver == "simulated":
        from device_drivers.card_reader.simulated import SimulatedCardReader

        return SimulatedCardReader()
    from device_drivers.card_reader.pcsc import PcscCardReader

    return PcscCardReader(config.reader_name_contains, config.timeout_s)
