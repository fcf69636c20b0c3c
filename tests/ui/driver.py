"""Drive the real Kivy app with simulated touches (asyncio, offscreen SDL).

Widgets are found by their ``action`` property (KButton/BarButton), so tests read like
what a visitor does: ``await ui.tap("upload")``. Every screen can be saved as PNG.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.core.window import Window
from kivy.tests.common import UnitTestTouch
from kivy.uix.modalview import ModalView
from kivy.uix.widget import Widget

from kiosk.widgets.focus import enclosing_scroll_view


class UiDriver:
    """Find, tap, wait and photograph inside the running app."""

    def __init__(self, app: Any, shots: Path | None = None) -> None:
        self.app = app
        self.shots = shots

    async def frames(self, count: int = 3) -> None:
        """Let the app draw ``count`` frames."""
        for _ in range(count):
            await asyncio.sleep(1 / 60)

    def _walk(self, widget: Widget) -> Iterator[Widget]:
        yield widget
        for child in widget.children:
            yield from self._walk(child)

    def visible_roots(self) -> list[Widget]:
        """Open overlays first (they are on top), then bars over the screen, then the screen."""
        overlays = [w for w in Window.children if isinstance(w, ModalView)]
        bars = [w for w in Window.children
                if w is not self.app.root and not isinstance(w, ModalView)]
        return [*overlays, *bars, self.app.root.current_screen]

    def find(self, action: str) -> Widget | None:
        """The enabled widget whose ``action`` is ``action`` on top of the screen."""
        for root in self.visible_roots():
            for widget in self._walk(root):
                if getattr(widget, "action", None) == action and not widget.disabled \
                        and widget.opacity > 0 and widget.height > 0:
                    return widget
            if isinstance(root, ModalView):
                return None  # a modal overlay hides the screen below
        return None

    async def wait_for(self, condition: Callable[[], Any], timeout_s: float = 60.0) -> Any:
        """Wait (by drawing frames) until ``condition()`` is truthy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            value = condition()
            if value:
                return value
            await self.frames(2)
        raise AssertionError(f"timed out waiting for {condition}")

    async def tap(self, action: str, timeout_s: float = 30.0) -> None:
        """Touch the centre of the widget named ``action`` (scrolling it into view)."""
        widget = await self.wait_for(lambda: self.find(action), timeout_s)
        scroller = enclosing_scroll_view(widget)
        # Scroll only what does not fit: scroll_to on a list shorter than its view moves the
        # list out of sight (a finger never does that).
        if scroller is not None and scroller.children and \
                scroller.children[0].height > scroller.height:
            scroller.scroll_to(widget, padding=10, animate=False)
            await self.frames(2)
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        await self.frames(2)
        touch.touch_up()
        await self.frames(4)  # a Button stays "down" ~35 ms after touch-up

    async def key(self, keycode: int, text: str | None = None) -> None:
        """Press a hardware key."""
        Window.dispatch("on_key_down", keycode, 0, text, [])
        await self.frames(2)
        Window.dispatch("on_key_up", keycode, 0)
        await self.frames(2)

    async def shot(self, name: str) -> Path | None:
        """Save the window as ``<shots>/<name>.png``."""
        if self.shots is None:
            return None
        await self.frames(3)
        self.shots.mkdir(parents=True, exist_ok=True)
        written = Window.screenshot(name=str(self.shots / f"{name}-tmp.png"))
        target = self.shots / f"{name}.png"
        shutil.move(written, target)
        return target


async def run_with(app: Any, scenario: Callable[[UiDriver], Any], shots: Path | None) -> Any:
    """Run ``app`` and ``scenario`` together; stop the app when the scenario ends."""
    driver = UiDriver(app, shots)
    result: dict[str, Any] = {}

    async def drive() -> None:
        try:
            await driver.wait_for(lambda: app.root is not None and EventLoop.window is not None)
            await driver.frames(5)
            result["value"] = await scenario(driver)
        except BaseException as exc:  # re-raised after the app stopped
            result["error"] = exc
        finally:
            app.stop()

    await asyncio.gather(app.async_run(async_lib="asyncio"), drive())
    if "error" in result:
        raise result["error"]
    return result.get("value")


async def type_number(ui: UiDriver, number: str) -> None:
    """Type a customer number on the keypad, switching between digits and letters."""
    letters = False
    for char in number:
        if char.isalpha() != letters:
            await ui.tap("toggle_letters")
            letters = not letters
        await ui.tap(f"key_{char}")
