"""The kiosk–job-centre wire contract: formats, signatures, envelopes, receipts.

Both sides import it; it imports only ``foundation`` and ``cryptography``, never the kiosk
application, the server or Kivy.
"""
