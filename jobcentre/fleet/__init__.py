"""The job centre's fleet service: heartbeats and alerts, commands, rollouts, updates."""
