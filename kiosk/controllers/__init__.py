"""Kivy-free controllers: the workflows behind the screens. Screens show; controllers act.

One pattern for every controller (capture, documents, submit, print; later the video call
and helper mode):

* **Dependencies come in through the constructor** (capture controller, delivery service,
  printer, …); ``kiosk.services.build_services`` builds every controller once.
* **Background work goes through an injected runner**, ``run(name, work)``, and answers
  come back through an injected **post-to-UI**, ``post(callback)``
  (``kiosk.controllers.runner``). The kiosk passes a thread starter and Kivy's clock;
  a test passes ``run_inline``/``call_now`` or its own queue, and needs no window.
* **The session is an argument of each action** (it lives longer than one visitor);
  controllers are the only ones besides the session itself that change session data.
  A worker's answer for a visit that has ended (``session.visit`` changed) is dropped.
* **Results are return values or callbacks**, called on the UI thread; errors arrive
  as stable codes that the screen turns into translated text.
* **The screen only forwards actions and shows state**: it starts no thread and writes
  no session data (``tests/test_architecture.py`` checks this).

``CaptureController`` predates the runner: its camera and OCR run on its own pools and
its ``capture(done)`` answers on the worker, so the capture screen posts that answer.
"""
