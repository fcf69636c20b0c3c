"""Kivy-free controllers: the workflows behind the screens (capture, submit, print, …).

A screen shows state and forwards the visitor's actions to its controller; the controller
does the work (threads, session data, devices) and reports back through callbacks that the
screen schedules onto the UI thread. Every controller is testable without a window.
"""
