"""The kiosk terminal: Kivy shell (app, screens, widgets), session logic, agent and CLI."""
