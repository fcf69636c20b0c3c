"""Plain-language texts for scanning hints and reason codes (translated when drawn).

The scanning pipeline speaks in codes; here each code becomes one sentence saying what
happened and what to do next, plus an icon so the meaning does not rest on colour.
"""

from __future__ import annotations

from scanning.document_labels import DOCUMENT_TYPE_LABELS

HINT_TEXTS: dict[str, tuple[str, str]] = {
    "move_into_frame": ("\u2B1A", "Put the whole page inside the frame."),
    "hold_still": ("\u261D", "Hold still for a moment."),
    "more_light": ("\u2600", "It is too dark. Please switch on the lamp or move to the light."),
    "less_light": ("\u2601", "It is too bright. Please move out of the direct light."),
    "avoid_glare": ("\u2604", "There is a reflection on the page. "
                               "Tilt the page a little or move it away from the lamp."),
    "move_closer": ("\u2295", "Bring the page closer to the camera."),
    "clearer_copy": ("\u25D0", "The print is too faint. Use a clearer copy if you have one."),
    "ready": ("\u2714", "Good. Hold still, the photo is taken automatically."),
}

REASON_TEXTS: dict[str, str] = {
    "unsupported_file": "This file type cannot be used. Please use a photo or a PDF.",
    "too_large": "The file is too large. Please take a photo of the page instead.",
    "no_page": "No page was found. Put the page flat under the camera.",
    "cut_off": "Part of the page is missing. Put the whole page inside the frame.",
    "low_resolution": "The page is too small in the picture. Bring it closer.",
    "blur": "The photo is blurred. Hold the page still and try again.",
    "too_dark": "The photo is too dark. Please use more light.",
    "too_bright": "The photo is too bright. Please avoid direct light.",
    "glare": ("A reflection covers part of the page. "
              "Tilt the page a little or move it away from the lamp."),
    "faded_text": ("Part of the text is printed too faintly to read. "
                   "If you have a clearer copy, please use it."),
    "unreadable_text": "The text cannot be read. Please try again with the page flat and still.",
    "capture_failed": "The camera did not take a photo. Please try again.",
    "camera_no_frame": "The camera does not respond. Please ask the staff for help.",
}

DOCUMENT_TYPE_TEXTS: dict[str, str] = DOCUMENT_TYPE_LABELS

# For the catalog extractor: every msgid above.
SCREEN_MESSAGE_MSGIDS = (
    *(text for _, text in HINT_TEXTS.values()),
    *REASON_TEXTS.values(),
    *DOCUMENT_TYPE_TEXTS.values(),
)
