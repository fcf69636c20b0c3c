"""Plain words for every staff-card fault, by error code (translated when shown).

The authenticator and the reader drivers raise ``foundation.errors`` with stable codes;
helper mode shows ``staff_card_message(error, lang)``. German and English are in the
catalogs; other languages fall back to German (staff at a German job centre read it).
"""

from __future__ import annotations

from accessibility.i18n import Translator
from foundation.errors import KioskError, WrongPin

STAFF_CARD_TEXTS: dict[str, str] = {
    "staff_card_unknown": "This card is not registered for staff login. "
                          "Please ask the IT service desk to register it.",
    "staff_card_revoked": "This card has been withdrawn and no longer works here.",
    "staff_card_not_genuine": "This card could not be verified. "
                              "Please ask the IT service desk.",
    "staff_card_blocked": "This card is blocked after too many wrong PINs. "
                          "The IT service desk can unblock it.",
    "staff_card_removed": "The card was removed. "
                          "Please insert it again and leave it in the reader.",
    "staff_card_absent": "Please insert your staff card into the reader.",
    "staff_card_unreadable": "The card cannot be read. Please insert it again, chip first.",
    "staff_pin_invalid": "The PIN has 6 to 8 digits.",
    "card_reader_missing": "No card reader is connected. Please check the reader's cable.",
    "pcsc_unavailable": "The card service (pcscd) is not running on this terminal. "
                        "Please call technical support.",
    "device_timeout": "The card reader did not answer in time. Please try again.",
    "staff_directory_missing": "The staff list has not reached this terminal yet, "
                               "so staff cards cannot be checked.",
    "staff_directory_outdated": "The staff list on this terminal is too old. Card login "
                                "works again once the terminal has a current list.",
    "helper_needs_session": "Helper mode starts during a visitor's session. Maintenance "
                            "needs a card with the ops or admin role.",
}
GENERIC_TEXT = "Card login failed. Please try again or call technical support."

# For the catalog extractor (the plural pair is found in the ngettext call below).
STAFF_CARD_MSGIDS = (*STAFF_CARD_TEXTS.values(), GENERIC_TEXT)


def staff_card_message(error: KioskError, lang: str) -> str:
    """The sentence helper mode shows for a refused card login, in ``lang``."""
    translator = Translator(lang)
    if isinstance(error, WrongPin):
        return translator.ngettext("Wrong PIN. {n} try left.", "Wrong PIN. {n} tries left.",
                                   error.tries_left)
    return translator.gettext(STAFF_CARD_TEXTS.get(error.code, GENERIC_TEXT))
