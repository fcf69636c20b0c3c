"""Video counselling from the kiosk booth: calls, queue, tokens, signalling (docs/video.md)."""
