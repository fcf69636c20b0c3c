"""Fleet operations on the job-centre side: heartbeats, commands, rollouts, update files."""
