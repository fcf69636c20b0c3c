"""The layers above the visitor's step: an overlay stack and a stack of sub-flow bookmarks.

Pure data, no clock and no Kivy; ``Session`` owns one of each and decides what time and
input do (see ``kiosk.session.states`` for the rules of each overlay and sub-flow).
The step itself is never stored here: overlays lie over it, and a sub-flow's bookmark
remembers it so that leaving the sub-flow returns to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.session.states import (
    OVERLAY_RULES,
    SUB_FLOWS,
    Overlay,
    SessionState,
    SubFlow,
    SubFlowSpec,
)


class OverlayStack:
    """Overlays over the step, newest on top; each kind at most once."""

    def __init__(self) -> None:
        self._stack: list[Overlay] = []

    @property
    def shown(self) -> tuple[Overlay, ...]:
        """The overlays, bottom first."""
        return tuple(self._stack)

    @property
    def top(self) -> Overlay | None:
        """The overlay the visitor sees (None when the step is uncovered)."""
        return self._stack[-1] if self._stack else None

    def push(self, overlay: Overlay) -> bool:
        """Show ``overlay`` on top; False if it is already up (it stays where it is)."""
        if overlay in self._stack:
            return False
        self._stack.append(overlay)
        return True

    def remove(self, overlay: Overlay) -> bool:
        """Take ``overlay`` away wherever it is in the stack; False if it was not up."""
        if overlay not in self._stack:
            return False
        self._stack.remove(overlay)
        return True

    @property
    def blocks_input(self) -> bool:
        """Whether any overlay refuses the visitor's input."""
        return any(OVERLAY_RULES[o].blocks_input for o in self._stack)

    @property
    def pauses_timeout(self) -> bool:
        """Whether any overlay holds the countdowns still."""
        return any(OVERLAY_RULES[o].pauses_timeout for o in self._stack)

    def clear_for_wipe(self) -> None:
        """Drop the visit's overlays; keep the terminal's own (the lock)."""
        self._stack = [o for o in self._stack if OVERLAY_RULES[o].survives_wipe]


@dataclass(frozen=True)
class Bookmark:
    """Where the visitor was when a sub-flow began (the step and the document in view)."""

    flow: SubFlow
    state: SessionState
    current: int
    retake_index: int | None

    @property
    def spec(self) -> SubFlowSpec:
        """The rules of the sub-flow this bookmark belongs to."""
        return SUB_FLOWS[self.flow]


class SubFlowStack:
    """Bookmarks of the running sub-flows, innermost last."""

    def __init__(self) -> None:
        self._bookmarks: list[Bookmark] = []

    @property
    def current(self) -> Bookmark | None:
        """The innermost running sub-flow's bookmark (None in the main flow)."""
        return self._bookmarks[-1] if self._bookmarks else None

    def push(self, bookmark: Bookmark) -> None:
        """A sub-flow begins."""
        self._bookmarks.append(bookmark)

    def pop(self) -> Bookmark:
        """The innermost sub-flow ends; its bookmark says where to return."""
        return self._bookmarks.pop()

    def at_entry(self, state: SessionState) -> bool:
        """Whether ``state`` is where the innermost sub-flow began (BACK leaves it there)."""
        bookmark = self.current
        return bookmark is not None and state is bookmark.spec.entry

    def leads_out(self, state: SessionState, target: SessionState, back: bool) -> bool:
        """Whether moving from ``state`` to ``target`` ends the innermost sub-flow.

        BACK from the entry step ends it, and so does any move to a step outside it.
        """
        bookmark = self.current
        if bookmark is None:
            return False
        return (back and self.at_entry(state)) or target not in bookmark.spec.steps

    def clear(self) -> None:
        """Forget every sub-flow (the wipe)."""
        self._bookmarks.clear()
