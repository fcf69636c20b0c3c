/* Video call client shared by the counsellor console and the guest page (no libraries).
   A mesh: one RTCPeerConnection per other party. The party that arrives offers to everyone
   present; offers to the kiosk carry complete SDP (no trickle, aiortc), candidates between
   browsers trickle over the WebSocket. See docs/video.md. */
"use strict";
(function () {
  function CallClient(opts) {
    this.opts = opts;            // {wsUrl, onEvent(op, msg), onRemote(party, stream), onPeerGone(party)}
    this.peers = {};             // party -> {pc, pending: []}
    this.local = null;
    this.camera = null;
    this.screen = null;
    this.iceServers = [];
    this.policy = "all";
    this.ws = null;
    this.pinger = null;
  }

  CallClient.prototype.connect = function (ticket) {
    var self = this;
    var url = new URL(this.opts.wsUrl, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket);
    this.ws = new WebSocket(url.toString());
    this.ws.onmessage = function (ev) { self._receive(JSON.parse(ev.data)); };
    this.ws.onclose = function () {
      clearInterval(self.pinger);
      self.opts.onEvent("closed", {});
    };
    this.ws.onopen = function () {
      self.pinger = setInterval(function () { self.send({op: "ping"}); }, 10000);
    };
  };

  CallClient.prototype.send = function (msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) { this.ws.send(JSON.stringify(msg)); }
  };

  /* Camera and microphone, opened once: callers share one pending getUserMedia (the console
     starts it with the click on "accept", so it overlaps the server's round trip). Closing
     the call meanwhile stops the stream as soon as it arrives. */
  CallClient.prototype.ensureLocal = function () {
    var self = this;
    if (this.local) { return Promise.resolve(this.local); }
    if (!this._opening) {
      var opening = navigator.mediaDevices.getUserMedia({audio: true, video: true}).then(function (stream) {
        if (self._opening !== opening) {
          stream.getTracks().forEach(function (t) { t.stop(); });
          throw new Error("the call was closed while the camera opened");
        }
        self._opening = null; self.local = stream; self.camera = stream.getVideoTracks()[0];
        return stream;
      }, function (err) { if (self._opening === opening) { self._opening = null; } throw err; });
      this._opening = opening;
    }
    return this._opening;
  };

  CallClient.prototype._receive = async function (msg) {
    try {
      if (msg.op === "joined") {
        this.iceServers = msg.ice_servers || [];
        this.policy = msg.ice_transport_policy || "all";
        this.opts.onEvent("joined", msg);
        await this.ensureLocal();
        for (var i = 0; i < msg.parties.length; i++) { await this._offer(msg.parties[i]); }
        return;
      }
      if (msg.op === "signal") { await this._signal(msg); return; }
      if (msg.op === "party" && msg.state !== "joined") { this.closePeer(msg.party); }
      if (msg.op === "ended" || msg.op === "removed") { this.closeAll(); }
      this.opts.onEvent(msg.op, msg);
    } catch (err) {
      this.opts.onEvent("failure", {message: String(err)});
    }
  };

  CallClient.prototype._peer = function (party) {
    var self = this;
    if (this.peers[party]) { this.closePeer(party); }
    var pc = new RTCPeerConnection({iceServers: this.iceServers, iceTransportPolicy: this.policy});
    var entry = {pc: pc, pending: []};
    this.peers[party] = entry;
    var video = this.screen || this.camera;
    this.local.getAudioTracks().forEach(function (t) { pc.addTrack(t, self.local); });
    if (video) { pc.addTrack(video, self.local); }
    if (party === "kiosk" && this.opts.onPage) { this._pages(pc.createDataChannel("documents")); }
    pc.ontrack = function (ev) {
      self.opts.onRemote(party, ev.streams[0] || new MediaStream([ev.track]));
    };
    if (party !== "kiosk") {
      pc.onicecandidate = function (ev) {
        if (ev.candidate) {
          self.send({op: "signal", to: party, kind: "ice", candidate: ev.candidate.candidate,
                     sdp_mid: ev.candidate.sdpMid, sdp_mline_index: ev.candidate.sdpMLineIndex});
        }
      };
    }
    pc.onconnectionstatechange = function () {
      self.opts.onEvent("peer", {party: party, state: pc.connectionState});
      if (party === "kiosk") { self._watchKiosk(entry); }
    };
    return entry;
  };

  /* The kiosk (aiortc) cannot restart ICE and only answers, so a broken link to it is rebuilt
     by a fresh offer from this side: at once when the connection failed, or when it stayed
     disconnected for REOFFER_MS. Only one offer is out at a time (the last one answered). */
  var REOFFER_MS = 12000;
  CallClient.prototype._watchKiosk = function (entry) {
    var self = this, pc = entry.pc;
    clearTimeout(entry.reoffer);
    var state = pc.connectionState;
    if (state !== "failed" && state !== "disconnected") { return; }
    entry.reoffer = setTimeout(function () {
      var current = self.peers.kiosk;
      if (!current || current.pc !== pc || pc.signalingState !== "stable") { return; }
      if (pc.connectionState === "failed" || pc.connectionState === "disconnected") {
        self.reoffers = (self.reoffers || 0) + 1;
        self._offer("kiosk").catch(function (err) {
          self.opts.onEvent("failure", {message: String(err)});
        });
      }
    }, state === "failed" ? 0 : REOFFER_MS);
  };

  /* Pages the kiosk shows ("show me the letter"): a JSON header, the JPEG in chunks, a JSON
     end mark, on the "documents" data channel. Kept in this page's memory only. */
  CallClient.prototype._pages = function (channel) {
    var self = this, header = null, parts = [];
    channel.binaryType = "arraybuffer";
    channel.onmessage = function (ev) {
      if (typeof ev.data !== "string") { if (header) { parts.push(ev.data); } return; }
      var msg = JSON.parse(ev.data);
      if (msg.type === "page") { header = msg; parts = []; }
      else if (msg.type === "end" && header && header.request_id === msg.request_id) {
        var blob = new Blob(parts, {type: header.mime});
        if (blob.size === header.size) { self.opts.onPage(header.request_id, blob); }
        header = null; parts = [];
      }
    };
  };

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") { return Promise.resolve(); }
    return new Promise(function (resolve) {
      var done = function () {
        if (pc.iceGatheringState === "complete") { resolve(); }
      };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 5000);   // send what was gathered so far
    });
  }

  CallClient.prototype._offer = async function (party) {
    var pc = this._peer(party).pc;
    await pc.setLocalDescription(await pc.createOffer());
    if (party === "kiosk") { await gathered(pc); }
    this.send({op: "signal", to: party, kind: "offer", sdp: pc.localDescription.sdp});
  };

  CallClient.prototype._signal = async function (msg) {
    var entry = this.peers[msg.from];
    if (msg.kind === "offer") {
      await this.ensureLocal();
      entry = this._peer(msg.from);
      await entry.pc.setRemoteDescription({type: "offer", sdp: msg.sdp});
      await this._flush(entry);
      await entry.pc.setLocalDescription(await entry.pc.createAnswer());
      this.send({op: "signal", to: msg.from, kind: "answer", sdp: entry.pc.localDescription.sdp});
    } else if (msg.kind === "reoffer" && msg.from === "kiosk") {
      /* The kiosk (answerer only) lost our media and asks for a fresh connection. */
      if (!entry || entry.pc.signalingState === "stable") {
        this.reoffers = (this.reoffers || 0) + 1;
        await this._offer("kiosk");
      }
    } else if (msg.kind === "answer" && entry) {
      await entry.pc.setRemoteDescription({type: "answer", sdp: msg.sdp});
      await this._flush(entry);
    } else if (msg.kind === "ice" && entry && msg.candidate) {
      var cand = {candidate: msg.candidate, sdpMid: msg.sdp_mid, sdpMLineIndex: msg.sdp_mline_index};
      if (entry.pc.remoteDescription) { await entry.pc.addIceCandidate(cand); }
      else { entry.pending.push(cand); }
    }
  };

  CallClient.prototype._flush = async function (entry) {
    while (entry.pending.length) { await entry.pc.addIceCandidate(entry.pending.shift()); }
  };

  CallClient.prototype.closePeer = function (party) {
    var entry = this.peers[party];
    if (entry) { clearTimeout(entry.reoffer); entry.pc.close(); delete this.peers[party]; if (this.opts.onPeerGone) { this.opts.onPeerGone(party); } }
  };

  CallClient.prototype.closeAll = function () {
    for (var party in this.peers) { this.closePeer(party); }
    if (this.screen) { this.screen.stop(); this.screen = null; }
    if (this.local) { this.local.getTracks().forEach(function (t) { t.stop(); }); this.local = null; }
    this._opening = null;
  };

  CallClient.prototype._useVideo = function (track) {
    for (var party in this.peers) {
      this.peers[party].pc.getSenders().forEach(function (s) {
        if (s.track && s.track.kind === "video") { s.replaceTrack(track); }
      });
    }
  };

  CallClient.prototype.setMuted = function (muted) {
    if (this.local) { this.local.getAudioTracks().forEach(function (t) { t.enabled = !muted; }); }
  };

  CallClient.prototype.setCameraOff = function (off) {
    if (this.camera) { this.camera.enabled = !off; }
  };

  CallClient.prototype.shareScreen = async function (on) {
    var self = this;
    if (on && !this.screen) {
      var stream = await navigator.mediaDevices.getDisplayMedia({video: true, audio: false});
      this.screen = stream.getVideoTracks()[0];
      this.screen.onended = function () { self.shareScreen(false); self.opts.onEvent("screen_stopped", {}); };
      this._useVideo(this.screen);
      this.send({op: "screen", on: true});
    } else if (!on && this.screen) {
      this.screen.stop();
      this.screen = null;
      this._useVideo(this.camera);
      this.send({op: "screen", on: false});
    }
    return !!this.screen;
  };

  /* Received media per party, for the tests and the connection display. */
  CallClient.prototype.stats = async function () {
    var out = {};
    for (var party in this.peers) {
      var report = await this.peers[party].pc.getStats();
      var s = {framesDecoded: 0, audioSamples: 0, frameWidth: 0, frameHeight: 0, relay: false,
               fps: 0, sentFps: 0, videoCodec: "", audioCodec: "", audioClockRate: 0, audioFmtp: "",
               state: this.peers[party].pc.connectionState};
      report.forEach(function (r) {
        var codec = r.codecId ? report.get(r.codecId) : null;
        if (r.type === "inbound-rtp" && r.kind === "video") {
          s.framesDecoded += r.framesDecoded || 0; s.frameWidth = r.frameWidth || s.frameWidth;
          s.frameHeight = r.frameHeight || s.frameHeight; s.fps = r.framesPerSecond || s.fps;
          if (codec) { s.videoCodec = codec.mimeType; }
        }
        if (r.type === "outbound-rtp" && r.kind === "video") { s.sentFps = r.framesPerSecond || 0; }
        if (r.type === "inbound-rtp" && r.kind === "audio") {
          s.audioSamples += r.totalSamplesReceived || 0;
          if (codec) {
            s.audioCodec = codec.mimeType; s.audioClockRate = codec.clockRate;
            s.audioFmtp = codec.sdpFmtpLine || "";
          }
        }
        if (r.type === "candidate-pair" && r.nominated && r.state === "succeeded") {
          var local = report.get(r.localCandidateId);
          s.relay = s.relay || (local && local.candidateType === "relay");
        }
      });
      out[party] = s;
    }
    return out;
  };

  /* Real-time text: the whole current line as typed (throttled), and once more when sent. */
  CallClient.prototype.bindChat = function (input, form) {
    var self = this, timer = null, last = "";
    input.addEventListener("input", function () {
      if (timer) { return; }
      timer = setTimeout(function () {
        timer = null;
        if (input.value !== last) { last = input.value; self.send({op: "chat", text: last, final: false}); }
      }, 120);
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text) { return; }
      clearTimeout(timer); timer = null; last = "";
      self.send({op: "chat", text: text, final: true});
      self.opts.onEvent("own_chat", {text: text});
      input.value = "";
    });
  };

  /* Microphone level 0..1 of a stream, reported ~10 times a second. */
  function levelMeter(stream, report) {
    var ctx = new AudioContext();
    var analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(stream).connect(analyser);
    var data = new Uint8Array(analyser.fftSize);
    return setInterval(function () {
      analyser.getByteTimeDomainData(data);
      var peak = 0;
      for (var i = 0; i < data.length; i++) { peak = Math.max(peak, Math.abs(data[i] - 128)); }
      report(peak / 128);
    }, 100);
  }

  /* The conversation text: one growing line per party while typed, kept when sent. */
  function ChatView(log, label) { this.log = log; this.label = label; this.lines = {}; }
  ChatView.prototype.show = function (from, name, text, final) {
    var line = this.lines[from];
    if (!text && !final) { if (line) { line.remove(); delete this.lines[from]; } return; }
    if (!line) {
      line = document.createElement("p");
      line.className = "typing";
      this.log.appendChild(line);
      this.lines[from] = line;
    }
    line.textContent = this.label(from, name) + ": " + text;
    line.dataset.from = from;
    if (final) { line.className = "sent"; delete this.lines[from]; }
    this.log.scrollTop = this.log.scrollHeight;
  };

  window.JcCall = {CallClient: CallClient, levelMeter: levelMeter, ChatView: ChatView};
})();
