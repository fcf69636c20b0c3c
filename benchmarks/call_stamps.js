/* Call benchmark, injected into every page before its own scripts (Playwright init script).

   1. Every remote video track of every RTCPeerConnection gets a small <video> sink whose
      requestVideoFrameCallback notes the first frame (epoch ms, window.__bench.first)
      and reads the timestamp overlay the kiosk's simulated camera draws into each frame
      (device_drivers/camera/call_video.py: 32 black/white cells, the sender's wall clock in
      ms mod 2^32): glass-to-glass latency = presentation time - stamp (same machine clock).
   2. getUserMedia's camera is replaced by a canvas captureStream at 640x480, 20 fps, with the
      same overlay drawn from this page's clock, so the kiosk can read it back (browser -> kiosk).
*/
(function () {
  "use strict";
  var MOD = 4294967296, BITS = 32, CELLS = 40;
  var bench = window.__bench = {first: [], latencies: [], frames: 0, started: null};
  function nowMs() { return Date.now(); }  /* the wall clock, as the kiosk's time.time() */

  function readStamp(ctx, w, h) {
    var cell = Math.max(4, Math.floor(w / CELLS));
    var y0 = Math.floor(cell / 2) + Math.floor(cell / 4), y1 = Math.floor(cell / 2) + cell - Math.floor(cell / 4);
    if (y1 <= y0 || (4 + BITS) * cell > w) { return null; }
    var data = ctx.getImageData(0, y0, w, y1 - y0).data, value = 0;
    for (var bit = 0; bit < BITS; bit++) {
      var x0 = (4 + bit) * cell + Math.floor(cell / 4), x1 = (4 + bit) * cell + cell - Math.floor(cell / 4);
      var sum = 0, n = 0;
      for (var y = 0; y < y1 - y0; y++) {
        for (var x = x0; x < x1; x++) {
          var i = (y * w + x) * 4;
          sum += (data[i] + data[i + 1] + data[i + 2]) / 3; n++;
        }
      }
      var level = sum / n;
      if (level > 60 && level < 190) { return null; }
      value = value * 2 + (level >= 128 ? 1 : 0);
    }
    return value;
  }

  function watch(track) {
    var video = document.createElement("video");
    video.muted = true; video.playsInline = true; video.autoplay = true;
    video.setAttribute("aria-hidden", "true");
    video.style.cssText = "position:fixed;left:0;bottom:0;width:64px;height:48px;opacity:0.01;pointer-events:none";
    video.srcObject = new MediaStream([track]);
    (document.body || document.documentElement).appendChild(video);
    var canvas = document.createElement("canvas"), ctx = canvas.getContext("2d", {willReadFrequently: true});
    var entry = {at: null, track: track.id};
    bench.first.push(entry);
    function onFrame() {
      var shown = nowMs();  /* the frame is being presented: read the clock now */
      if (entry.at === null) { entry.at = shown; }
      bench.frames++;
      var w = video.videoWidth, h = video.videoHeight;
      if (w && h && bench.frames % 2 === 0) {
        if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
        ctx.drawImage(video, 0, 0, w, h);
        var stamp = readStamp(ctx, w, h);
        if (stamp !== null) {
          var delay = ((Math.floor(shown) - stamp) % MOD + MOD) % MOD;
          if (delay < 10000) { bench.latencies.push(delay); }
        }
      }
      if (track.readyState === "live") { video.requestVideoFrameCallback(onFrame); }
    }
    video.requestVideoFrameCallback(onFrame);
    video.play().catch(function () {});
  }

  var Original = window.RTCPeerConnection;
  function Watched(config) {
    var pc = new Original(config);
    pc.addEventListener("track", function (ev) { if (ev.track.kind === "video") { watch(ev.track); } });
    return pc;
  }
  Watched.prototype = Original.prototype;
  Watched.generateCertificate = Original.generateCertificate;
  window.RTCPeerConnection = Watched;

  function stampedCamera() {
    var canvas = document.createElement("canvas");
    canvas.width = 640; canvas.height = 480;
    var ctx = canvas.getContext("2d"), cell = Math.floor(640 / CELLS), tick = 0;
    function draw() {
      tick++;
      var g = ctx.createLinearGradient(0, 0, 640, 480);
      g.addColorStop(0, "#3060a0"); g.addColorStop(1, "#d0a040");
      ctx.fillStyle = g; ctx.fillRect(0, 0, 640, 480);
      ctx.fillStyle = "#e0e0e0";
      ctx.beginPath(); ctx.arc(320 + 120 * Math.sin(tick / 15), 300, 80, 0, 2 * Math.PI); ctx.fill();
      var value = Math.floor(nowMs()) % MOD;
      ctx.fillStyle = "#000"; ctx.fillRect(0, 0, 640, cell * 6);
      ctx.fillStyle = "#fff";
      for (var bit = 0; bit < BITS; bit++) {
        if (Math.floor(value / Math.pow(2, BITS - 1 - bit)) % 2 === 1) {
          ctx.fillRect((4 + bit) * cell, Math.floor(cell / 2), cell, cell);
        }
      }
    }
    draw();
    setInterval(draw, 50);
    return canvas.captureStream(20).getVideoTracks()[0];
  }

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    var getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async function (constraints) {
      var stream = await getUserMedia(constraints);
      if (!constraints || !constraints.video) { return stream; }
      stream.getVideoTracks().forEach(function (t) { t.stop(); stream.removeTrack(t); });
      stream.addTrack(stampedCamera());
      return stream;
    };
  }
})();
