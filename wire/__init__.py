"""The kiosk–job-centre wire contract: formats, signatures, envelopes, receipts.

Both sides import it; it imports only ``foundation``, ``cryptography`` and ``pydantic`` (for
the transfer-note extension schemas, ``wire.transfer_note``), never the kiosk application,
the server or Kivy.
"""
