"""The kiosk fleet, job-centre side: heartbeats, remote commands, rollouts (a module each)."""
