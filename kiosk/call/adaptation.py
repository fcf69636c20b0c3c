"""The video quality ladder: video gives way before audio ever does.

aiortc already moves the VP8 bitrate within 250–1500 kbit/s on the receiver's REMB
estimate. On top of that the kiosk steps its camera down a ladder of sizes and frame
rates when the far side reports packet loss or the round trip grows, and back up only
after a quiet spell (hysteresis, so it does not flap). The bottom rung is a tiny, nearly
still picture: the call carries on as a voice call. Audio (Opus) is never touched:
no rung changes the microphone track.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.call.tracks import VideoTier

LADDER: tuple[VideoTier, ...] = (
    VideoTier(640, 480, 20),
    VideoTier(480, 360, 15),
    VideoTier(320, 240, 12),
    VideoTier(160, 120, 2),  # video nearly off: audio keeps the bandwidth
)


@dataclass
class VideoLadder:
    """Chooses the rung from RTCP loss and round-trip time; time is passed in."""

    ladder: tuple[VideoTier, ...] = LADDER
    down_loss: float = 0.08
    down_rtt_s: float = 0.5
    up_loss: float = 0.02
    up_rtt_s: float = 0.25
    calm_s: float = 10.0
    rung: int = 0
    _calm_since: float | None = field(default=None, repr=False)

    @property
    def tier(self) -> VideoTier:
        """The current rung."""
        return self.ladder[self.rung]

    def update(self, loss: float, rtt_s: float, now: float) -> VideoTier:
        """Step down at once on trouble; step up one rung after ``calm_s`` of calm."""
        if loss > self.down_loss or rtt_s > self.down_rtt_s:
            self.rung = min(self.rung + 1, len(self.ladder) - 1)
            self._calm_since = None
        elif loss < self.up_loss and rtt_s < self.up_rtt_s:
            if self._calm_since is None:
                self._calm_since = now
            elif now - self._calm_since >= self.calm_s and self.rung > 0:
                self.rung -= 1
                self._calm_since = now
        else:
            self._calm_since = None
        return self.tier
