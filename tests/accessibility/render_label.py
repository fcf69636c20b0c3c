"""Render one wrapped Kivy Label offscreen and save it as PNG (run as a subprocess by tests).

Usage: python render_label.py TEXT_FILE LANG OUT_PNG FONT_CACHE_DIR [WIDTH]
The text is prepared with ``accessibility.bidi_text.prepare_for_label`` and drawn with
``font_for(lang)`` exactly as the kiosk's widgets do; the Label's texture is written black on
white with a margin (for OCR). Needs KIVY_TEXT=pil etc. in the environment.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> int:
    text_file, lang, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    width = int(sys.argv[5]) if len(sys.argv) > 5 else 700

    from accessibility.fonts import prepare_fonts

    prepare_fonts(Path(sys.argv[4]))  # as the app does at start, before drawing

    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", "600")
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.text import LabelBase  # noqa: F401  (provider chosen at import)
    from kivy.core.window import Window
    from kivy.uix.label import Label
    from PIL import Image

    from accessibility.bidi_text import font_for, halign_for, prepare_for_label

    text = Path(text_file).read_text("utf-8")

    class RenderApp(App):  # type: ignore[misc]
        frames = 0

        def build(self) -> Label:
            Window.clearcolor = (1, 1, 1, 1)
            self.label = Label(
                text=prepare_for_label(text, lang), font_name=font_for(lang), font_size=40,
                color=(0, 0, 0, 1), halign=halign_for(lang), valign="top",
                text_size=(width - 40, None), size_hint=(None, None),
            )
            Clock.schedule_interval(self.shoot, 0)
            return self.label

        def shoot(self, _dt: float) -> None:
            self.frames += 1
            if self.frames < 3:
                return
            texture = self.label.texture
            image = Image.frombytes("RGBA", texture.size, texture.pixels)
            page = Image.new("RGBA", (image.width + 80, image.height + 80), (255, 255, 255, 255))
            page.alpha_composite(image, (40, 40))
            page.convert("RGB").save(out)
            self.stop()

    RenderApp().run()
    from kivy.core.text import Label as CoreLabel

    print("provider", CoreLabel.__name__)
    print("font", font_for(lang))
    return 0


if __name__ == "__main__":
    sys.exit(main())
