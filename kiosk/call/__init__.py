"""The video call engine, Kivy-free: local media tracks, one peer connection per party,
negotiation without trickle, reconnection, video adaptation and stats.

    tracks.py      the camera and microphone as aiortc tracks, paced by an injected clock
    peer.py        one RTCPeerConnection to one party: offer/answer, remote media, stats
    engine.py      the mesh (up to three parties), stall detection and reconnection
    adaptation.py  the video quality ladder (audio is never degraded)
    signalling.py  the kiosk–job-centre call contract of docs/video.md (HTTP + live channel)

The kiosk feeds one camera and one microphone to every peer through
``MediaRelay().subscribe()``; the screens only see ``CallController`` (kiosk/controllers).
"""
