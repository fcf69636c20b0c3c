"""Real round trips: raw TCP to a fake printer on 127.0.0.1, and serial over a pseudo-terminal."""

from __future__ import annotations

import socket

import pytest

from device_drivers.printer.encoder import EscPosEncoder
from device_drivers.printer.escpos_printer import EscPosPrinter
from device_drivers.printer.layout import Cut, QRCode, ReceiptLayout, TextLine
from device_drivers.printer.status import REALTIME_QUERIES
from device_drivers.printer.transports import NetworkTransport, SerialTransport
from foundation.errors import DeviceTimeout, DeviceUnavailable, PrinterOutOfPaper

from .fakes import OK, FakeNetworkPrinter, FakePrinterDevice, FakeSerialPrinter

LAYOUT = ReceiptLayout.of(
    TextLine("Eingangsbestätigung", bold=True, size=2, align="center"),
    TextLine("إيصال استلام المستندات"),
    TextLine("Квитанція про отримання"),
    QRCode("KIOSK1." + "A" * 300),
    Cut(),
)
PAPER_OUT = {**OK, 1: 0x1A, 2: 0x32, 4: 0x72}


def network_printer(port: int, timeout_s: float = 2.0, **kw: float) -> EscPosPrinter:
    return EscPosPrinter(NetworkTransport("127.0.0.1", port, timeout_s), EscPosEncoder(),
                         driver="network", **kw)


def free_port() -> int:
    """A loopback port with nobody listening on it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_network_status_round_trip() -> None:
    device = FakePrinterDevice(replies={**OK, 4: 0x1E})
    with FakeNetworkPrinter(device) as server:
        status = network_printer(server.port).status()
    assert (status.online, status.paper, status.reported) == (True, "near_end", True)
    assert device.queries == list(REALTIME_QUERIES)


def test_network_print_is_confirmed_and_server_got_the_exact_job() -> None:
    with FakeNetworkPrinter() as server:
        result = network_printer(server.port).print_layout(LAYOUT)
    assert result.confirmed
    assert bytes(server.device.printed) == EscPosEncoder().encode(LAYOUT)
    assert server.connections == 1


def test_network_out_of_paper_raises_and_nothing_is_printed() -> None:
    with (
        FakeNetworkPrinter(FakePrinterDevice(replies=PAPER_OUT)) as server,
        pytest.raises(PrinterOutOfPaper),
    ):
        network_printer(server.port).print_layout(LAYOUT)
    assert bytes(server.device.printed) == b""


def test_network_printer_that_does_not_answer_times_out() -> None:
    with FakeNetworkPrinter(FakePrinterDevice(mute=True)) as server:
        printer = network_printer(server.port, timeout_s=1.0, status_timeout_s=0.2)
        with pytest.raises(DeviceTimeout, match="did not answer"):
            printer.status()
        ok, reason = printer.check()
    assert not ok and "did not answer" in reason
    assert bytes(server.device.printed) == b""


def test_network_job_never_confirmed_times_out() -> None:
    with FakeNetworkPrinter(FakePrinterDevice(fence=None)) as server:
        printer = network_printer(server.port, status_timeout_s=0.5, job_timeout_s=0.3)
        with pytest.raises(DeviceTimeout, match="did not confirm"):
            printer.print_layout(LAYOUT)


def test_no_printer_listening_gives_a_plain_reason() -> None:
    printer = network_printer(free_port(), timeout_s=0.5)
    with pytest.raises(DeviceUnavailable, match="check the network cable"):
        printer.status()
    ok, reason = printer.check()
    assert not ok and reason.startswith("No printer at 127.0.0.1:")


def test_printer_closing_the_connection_is_unavailable() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    transport = NetworkTransport("127.0.0.1", port, 0.5)
    transport.open()
    conn, _ = listener.accept()
    conn.close()
    listener.close()
    try:
        with pytest.raises(DeviceUnavailable, match="closed the connection"):
            transport.read_exact(1, 0.5)
    finally:
        transport.close()


def test_serial_print_round_trip_over_a_pty() -> None:
    with FakeSerialPrinter() as fake:
        printer = EscPosPrinter(SerialTransport(fake.path, 38400, 2.0), EscPosEncoder(),
                                driver="serial")
        assert printer.status().paper == "ok"
        result = printer.print_layout(LAYOUT)
    assert result.confirmed
    assert bytes(fake.device.printed) == EscPosEncoder().encode(LAYOUT)


def test_serial_out_of_paper_over_a_pty() -> None:
    with FakeSerialPrinter(FakePrinterDevice(replies=PAPER_OUT)) as fake:
        printer = EscPosPrinter(SerialTransport(fake.path, 38400, 2.0), EscPosEncoder())
        with pytest.raises(PrinterOutOfPaper):
            printer.print_layout(LAYOUT)
    assert bytes(fake.device.printed) == b""


def test_serial_mute_printer_times_out() -> None:
    with FakeSerialPrinter(FakePrinterDevice(mute=True)) as fake:
        printer = EscPosPrinter(SerialTransport(fake.path, 38400, 1.0), EscPosEncoder(),
                                status_timeout_s=0.2)
        with pytest.raises(DeviceTimeout):
            printer.status()


def test_missing_serial_device_gives_a_plain_reason() -> None:
    printer = EscPosPrinter(SerialTransport("/dev/ttyNOPRINTER", 38400, 0.5), EscPosEncoder())
    assert printer.check() == (
        False, "No printer at /dev/ttyNOPRINTER: check the USB cable and power"
    )
