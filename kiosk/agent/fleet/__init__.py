"""The agent's fleet capabilities: heartbeat, remote commands, configuration and updates."""
