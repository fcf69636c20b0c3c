"""The screens, one module + one .kv file each, registered by session state name."""

from __future__ import annotations

from kiosk.screens.attract import AttractScreen
from kiosk.screens.base import KioskScreen
from kiosk.screens.call_check import CallCheckScreen
from kiosk.screens.call_code import CallCodeScreen
from kiosk.screens.call_consent import CallConsentScreen
from kiosk.screens.call_waiting import CallWaitingScreen
from kiosk.screens.capture import CaptureScreen
from kiosk.screens.checklist import ChecklistScreen
from kiosk.screens.choose_task import ChooseTaskScreen
from kiosk.screens.documents import DocumentsScreen
from kiosk.screens.goodbye import GoodbyeScreen
from kiosk.screens.identify import IdentifyScreen
from kiosk.screens.in_call import InCallScreen
from kiosk.screens.language import LanguageScreen
from kiosk.screens.letter import LetterScreen
from kiosk.screens.receipt import ReceiptScreen
from kiosk.screens.staff_help import StaffHelpScreen
from kiosk.screens.summary import SummaryScreen
from kiosk.session.states import SessionState

SCREEN_CLASSES: dict[str, type[KioskScreen]] = {
    SessionState.ATTRACT.value: AttractScreen,
    SessionState.LANGUAGE.value: LanguageScreen,
    SessionState.IDENTIFY.value: IdentifyScreen,
    SessionState.CHOOSE_TASK.value: ChooseTaskScreen,
    SessionState.CAPTURE.value: CaptureScreen,
    SessionState.DOCUMENTS.value: DocumentsScreen,
    SessionState.SUMMARY.value: SummaryScreen,
    SessionState.RECEIPT.value: ReceiptScreen,
    SessionState.STAFF_HELP.value: StaffHelpScreen,
    SessionState.CALL_CHECK.value: CallCheckScreen,
    SessionState.CALL_CONSENT.value: CallConsentScreen,
    SessionState.CALL_WAITING.value: CallWaitingScreen,
    SessionState.CALL_CODE.value: CallCodeScreen,
    SessionState.IN_CALL.value: InCallScreen,
    SessionState.GOODBYE.value: GoodbyeScreen,
    SessionState.LETTER.value: LetterScreen,
    SessionState.CHECKLIST.value: ChecklistScreen,
}

#: Screens of the rarer ways through a visit (staff help, video call, letter): built when a
#: visitor first goes there, not in the frames after start. Their widget trees cost ~20 MB
#: of the UI process's memory (1280 x 800) that most visits never use.
ON_DEMAND_SCREENS: frozenset[str] = frozenset({
    SessionState.STAFF_HELP.value, SessionState.CALL_CHECK.value,
    SessionState.CALL_CONSENT.value, SessionState.CALL_WAITING.value,
    SessionState.CALL_CODE.value, SessionState.IN_CALL.value, SessionState.LETTER.value,
    SessionState.CHECKLIST.value,
})
