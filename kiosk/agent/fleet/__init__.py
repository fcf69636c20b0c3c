"""The kiosk's side of the fleet: heartbeats, remote commands, configuration, updates."""
