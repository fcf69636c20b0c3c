"""The agent's fleet capabilities: heartbeat, remote commands, signed configuration, updates."""
