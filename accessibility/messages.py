"""English msgids of the texts the accessibility package itself produces.

The extraction script picks up ``ACCESSIBILITY_MSGIDS``; translate them when they are shown
or spoken (``accessibility.i18n.translate``), never here at import time.
"""

from __future__ import annotations

PIN_ENTERED = "PIN entered"
CUSTOMER_NUMBER_SPOKEN = "Customer number: {digits}"
CHOOSE_LANGUAGE = "Choose your language"
LANGUAGE = "Language"
READ_ALOUD = "Read aloud"
PAUSE = "Pause"
RESUME = "Continue"
REPEAT = "Repeat"
STOP = "Stop"
LOUDER = "Louder"
QUIETER = "Quieter"
VOLUME_STEP = "Volume {step} of {steps}"
SLOWER = "Speak slower"
FASTER = "Speak faster"
RATE_STEP = "Speaking speed {step} of {steps}"
SPEECH_UNAVAILABLE = "Speech output is not available on this terminal. Please ask the staff."
HEADSET_HINT = "Plug headphones into the socket below the screen to hear the text."
TEXT_SIZE = "Text size"
HIGH_CONTRAST = "High contrast"

ACCESSIBILITY_MSGIDS: tuple[str, ...] = (
    "PIN entered",
    "Customer number: {digits}",
    "Choose your language",
    "Language",
    "Read aloud",
    "Pause",
    "Continue",
    "Repeat",
    "Stop",
    "Louder",
    "Quieter",
    "Volume {step} of {steps}",
    "Speak slower",
    "Speak faster",
    "Speaking speed {step} of {steps}",
    "Speech output is not available on this terminal. Please ask the staff.",
    "Plug headphones into the socket below the screen to hear the text.",
    "Text size",
    "High contrast",
)
