"""Staff smart-card logins on the kiosk (Kivy-free; helper mode's screens sit on top).

    directory.py      the signed staff directory: apply a bundle, check its age, look up a key
    authenticator.py  StaffCardAuthenticator: identify the card, PIN, challenge and response
    messages.py       an error code → the sentence shown (German and English catalogs)
    wiring.py         build all of it from the kiosk config; apply_directory_bundle(raw, config)
    cli.py            ``kiosk staff-card export-key | apply-directory | login | status``

Helper mode uses it like this::

    auth = create_authenticator(config)          # reader from devices.card_reader
    if auth.wait_for_card(timeout_s=0.5):        # poll from a worker thread, never the UI
        holder = auth.identify()                 # CardHolder: display name, PIN tries left
        login = auth.authenticate(holder, pin)   # StaffLogin: staff id, name, roles
        ...
        auth.wait_for_removal(timeout_s=0.5)     # card pulled → end helper mode
        auth.end()

Every refusal is a ``KioskError``; ``staff_card_message(error, lang)`` gives its sentence.
"""
