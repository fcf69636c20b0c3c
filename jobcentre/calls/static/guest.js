/* The guest page: device check, join with a name, then the call (see call.js). */
"use strict";
(function () {
  var T = JSON.parse(document.getElementById("texts").textContent);
  var status = document.getElementById("status");
  var form = document.getElementById("join-form");
  if (!form) { return; }   // the page shows why the invitation cannot be used
  var token = location.pathname.split("/").filter(Boolean).pop();
  var finished = false;
  function say(text) { status.textContent = text; }
  function label(party, name) {
    if (party === "counsellor") { return T.counsellor; }
    if (party === "kiosk") { return T.kiosk; }
    return name || T.guest;
  }
  var chat = new JcCall.ChatView(document.getElementById("chat-log"), label);
  var client = new JcCall.CallClient({
    wsUrl: "/guest/ws",
    onRemote: function (party, stream) {
      var id = "remote-" + party;
      var fig = document.getElementById(id);
      if (!fig) {
        fig = document.createElement("figure");
        fig.id = id;
        fig.innerHTML = "<video autoplay playsinline></video><figcaption></figcaption>";
        fig.querySelector("figcaption").textContent = label(party, "");
        document.getElementById("videos").appendChild(fig);
      }
      fig.querySelector("video").srcObject = stream;
    },
    onPeerGone: function (party) {
      var fig = document.getElementById("remote-" + party);
      if (fig) { fig.remove(); }
    },
    onEvent: function (op, msg) {
      if (op === "joined") {
        document.getElementById("check").hidden = true;
        document.getElementById("call").hidden = false;
        document.getElementById("call-h").focus();
        document.getElementById("call-self").srcObject = client.local;
        var switcher = document.querySelector("nav.lang");   // reloading would leave the call
        if (switcher) { switcher.hidden = true; }
        say(T.joined);
      } else if (op === "chat") { chat.show(msg.from, msg.name, msg.text, msg.final); }
      else if (op === "own_chat") { chat.show("me", T.you, msg.text, true); }
      else if (op === "screen") { say(msg.on ? T.screen_on : T.screen_off); }
      else if (op === "removed" || op === "ended") { finish(T[op]); }
      else if (op === "error") { say(T[msg.code] || T.failure); }
      else if (op === "failure") { say(T.failure); }
      else if (op === "closed" && !finished) { finish(T.ended); }
    }
  });
  window.guestClient = client;

  function finish(text) {
    finished = true;
    client.closeAll();
    document.getElementById("call").hidden = true;
    say(text);
  }

  async function check() {
    try {
      var stream = await client.ensureLocal();
      document.getElementById("self-view").srcObject = stream;
      var meter = document.getElementById("mic-level");
      JcCall.levelMeter(stream, function (v) { meter.value = v; meter.textContent = Math.round(v * 100) + " %"; });
      return true;
    } catch (err) {
      say(T.no_devices);
      return false;
    }
  }
  document.getElementById("check-start").addEventListener("click", check);

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var name = document.getElementById("guest-name").value.trim();
    if (!name) { say(T.name_required); document.getElementById("guest-name").focus(); return; }
    if (!(await check())) { return; }
    say(T.joining);
    var answer = await fetch("/guest/" + encodeURIComponent(token) + "/join", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: name})});
    var body = await answer.json();
    if (!answer.ok) { say(T[body.error] || T.failure); return; }
    client.connect(body.ticket);
  });

  client.bindChat(document.getElementById("chat-input"), document.getElementById("chat-form"));
  function toggle(id, on, off, apply) {
    var button = document.getElementById(id);
    button.addEventListener("click", function () {
      var pressed = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", String(pressed));
      button.textContent = pressed ? on : off;
      apply(pressed);
    });
  }
  toggle("mute", T.unmute, T.mute, function (p) { client.setMuted(p); });
  toggle("camera", T.camera_on, T.camera_off, function (p) { client.setCameraOff(p); });
  document.getElementById("leave").addEventListener("click", function () {
    client.send({op: "leave"});
    finish(T.left);
  });
})();
