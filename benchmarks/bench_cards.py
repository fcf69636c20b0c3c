"""Staff card login benchmark: card inserted → authenticated, through a real pcscd.

The kiosk side is the real ``PcscCardReader`` (pyscard) and ``StaffCardAuthenticator``;
the card is the Python PIV card on vsmartcard's virtual reader (``VpcdCard``), so the
figure includes pcscd noticing the card (its reader polling), SELECT, reading the slot 9A
certificate, the PIN tries, VERIFY, GENERAL AUTHENTICATE over a fresh challenge and the
signature check against the signed staff directory. The PIN is entered at once (no human).
Timing starts when the card connects to vpcd (the "insert") and ends with the StaffLogin.
p50/p95 over N logins (target p95 ≤ 1.5 s). Starts ``pcscd --foreground`` unless one runs.

Run: ``.venv/bin/python benchmarks/bench_cards.py [--logins 30] [--algorithm p256|rsa2048]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device_drivers.card_reader.keys import ALG_ECC_P256, ALG_RSA2048  # noqa: E402
from device_drivers.card_reader.pcsc import PcscCardReader  # noqa: E402
from device_drivers.card_reader.piv_card import VirtualPivCard, make_private_key  # noqa: E402
from device_drivers.card_reader.vpcd import VpcdCard  # noqa: E402
from kiosk.staffcard.authenticator import StaffCardAuthenticator  # noqa: E402
from tests.staffcard.fakes import PIN, directory_bundle, directory_store, member  # noqa: E402

READER = "Virtual PCD"


def _start_pcscd() -> subprocess.Popen[bytes] | None:
    if PcscCardReader(READER).check()[0]:
        return None
    process = subprocess.Popen(["pcscd", "--foreground"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not PcscCardReader(READER).check()[0]:
        if time.monotonic() > deadline:
            process.terminate()
            raise SystemExit("pcscd with the vpcd reader did not come up")
        time.sleep(0.1)
    return process


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(logins: int, algorithm: int) -> dict[str, float | int | str]:
    """Time ``logins`` card logins; returns p50/p95/max in seconds."""
    card = VirtualPivCard(private_key=make_private_key(algorithm))
    reader = PcscCardReader(READER)
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = directory_store(Path(tmp))
        store.apply(directory_bundle([member(card)]))
        auth = StaffCardAuthenticator(reader, store)
        for _ in range(logins + 1):  # the first login warms up and is not counted
            vpcd = VpcdCard(card)
            start = time.perf_counter()
            vpcd.insert()
            if not auth.wait_for_card(5):
                raise SystemExit("pcscd did not see the virtual card")
            auth.login(PIN)
            times.append(time.perf_counter() - start)
            auth.end()
            vpcd.remove()
            auth.wait_for_removal(5)
    times = times[1:]
    return {"algorithm": card.key.algorithm_name, "logins": logins,
            "p50_s": round(statistics.median(times), 3),
            "p95_s": round(_percentile(times, 95), 3), "max_s": round(max(times), 3)}


def main() -> None:
    """Run the benchmark and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=30)
    parser.add_argument("--algorithm", choices=("p256", "rsa2048"), default="p256")
    args = parser.parse_args()
    pcscd = _start_pcscd()
    try:
        result = run(args.logins, ALG_RSA2048 if args.algorithm == "rsa2048" else ALG_ECC_P256)
    finally:
        if pcscd is not None:
            pcscd.terminate()
            pcscd.wait(timeout=10)
    result["target_p95_s"] = 1.5
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
