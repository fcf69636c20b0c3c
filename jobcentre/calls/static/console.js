/* Counsellor console: the queue (pushed over the WebSocket) and the call view (call.js). */
"use strict";
(function () {
  var root = document.getElementById("console");
  if (!root) { return; }
  var T = JSON.parse(document.getElementById("texts").textContent);
  var status = document.getElementById("status");
  var queue = document.getElementById("queue");
  var lobby = document.getElementById("lobby");
  var view = document.getElementById("call");
  var removeGuest = document.getElementById("remove-guest");
  function say(text) { status.textContent = text; }
  function fill(text, key, value) { return text.replace("{" + key + "}", value); }
  function label(party, name) {
    if (party === "kiosk") { return T.kiosk; }
    if (party === "guest") { return name ? T.guest + " (" + name + ")" : T.guest; }
    return party === "me" ? T.you : party;
  }
  var chat = new JcCall.ChatView(document.getElementById("chat-log"), label);
  var guestName = "";

  var langNames = null;
  try { langNames = new Intl.DisplayNames([document.documentElement.lang], {type: "language"}); } catch (err) { langNames = null; }
  function languageName(code) {
    try { var name = langNames && langNames.of(code.split("-")[0]); return name && name !== code ? name + " (" + code + ")" : code; }
    catch (err) { return code; }
  }
  function renderQueue(calls) {
    queue.textContent = "";
    if (!calls.length) {
      var empty = document.createElement("li"); empty.textContent = T.queue_empty; queue.appendChild(empty);
      return;
    }
    calls.forEach(function (c) {
      var li = document.createElement("li");
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.id = "meta-" + c.call_id;
      var since = new Date(c.since).toLocaleTimeString(document.documentElement.lang, {hour: "2-digit", minute: "2-digit"});
      meta.textContent = (c.appointment ? T.appointment + " · " : "") + T.language + ": " + languageName(c.language) +
        " · " + T.topic + ": " + (T["topic." + c.topic] || c.topic) + " · " + T.waiting_since + " " + since +
        " · " + T.location + ": " + c.location;
      var button = document.createElement("button");
      button.type = "button";
      button.dataset.accept = c.call_id;
      button.setAttribute("aria-describedby", meta.id);
      button.textContent = T.accept;
      li.appendChild(meta); li.appendChild(button); queue.appendChild(li);
    });
  }
  queue.addEventListener("click", function (ev) {
    var id = ev.target.dataset && ev.target.dataset.accept;
    if (id) {
      client.send({op: "accept", call_id: id});
      client.ensureLocal().catch(function () {});  // camera opens meanwhile; "joined" awaits it
    }
  });

  function showCall(on) {
    lobby.hidden = on; view.hidden = !on;
    if (on) { document.getElementById("call-h").focus(); }
  }

  var client = new JcCall.CallClient({
    wsUrl: "/staff/calls/ws",
    onRemote: function (party, stream) {
      var id = "remote-" + party;
      var fig = document.getElementById(id);
      if (!fig) {
        fig = document.createElement("figure");
        fig.id = id;
        fig.innerHTML = "<video autoplay playsinline></video><figcaption></figcaption>";
        document.getElementById("videos").appendChild(fig);
      }
      fig.querySelector("figcaption").textContent = label(party, party === "guest" ? guestName : "");
      fig.querySelector("video").srcObject = stream;
    },
    onPeerGone: function (party) {
      var fig = document.getElementById("remote-" + party);
      if (fig) { fig.remove(); }
    },
    onEvent: async function (op, msg) {
      if (op === "hello") { attempts = 0; }
      else if (op === "queue") { renderQueue(msg.calls); }
      else if (op === "joined") {
        say(T.joined); showCall(true);
        await client.ensureLocal();
        document.getElementById("self-view").srcObject = client.local;
      } else if (op === "peer" && msg.state === "connected") { say(fill(T.connected, "party", label(msg.party, msg.party === "guest" ? guestName : ""))); }
      else if (op === "party") {
        if (msg.state === "joined") { guestName = msg.name; say(fill(T.guest_joined, "name", msg.name)); }
        else { say(msg.state === "removed" ? T.guest_removed : T.guest_left); }
        removeGuest.disabled = msg.state !== "joined";
      } else if (op === "chat") { chat.show(msg.from, msg.name, msg.text, msg.final); }
      else if (op === "own_chat") { chat.show("me", "", msg.text, true); }
      else if (op === "invited") {
        var link = (msg.base || location.origin) + msg.path;
        document.getElementById("invite-text").textContent = fill(T.invite_link, "time",
          new Date(msg.expires_at).toLocaleTimeString(document.documentElement.lang, {hour: "2-digit", minute: "2-digit"})) + " ";
        document.getElementById("invite-link").textContent = link;
        document.getElementById("invite-out").hidden = false;
      } else if (op === "requested") { say(T.requested); }
      else if (op === "document") { say(T.document_in); }
      else if (op === "hand_in_sent") { say(T.hand_in_sent); }
      else if (op === "ended") {
        say(fill(T.ended_reason, "reason", msg.reason)); showCall(false);
        var page = document.getElementById("doc-page");   // nothing of the call stays here
        if (page.src) { URL.revokeObjectURL(page.src); page.removeAttribute("src"); }
        document.getElementById("doc-out").hidden = true; handIn.hidden = true;
        document.getElementById("invite-out").hidden = true; removeGuest.disabled = true;
      } else if (op === "error") {
        say(fill(T.error, "code", msg.code));
        if (view.hidden) { client.closeAll(); }  // an accept refused: the camera goes off again
      }
      else if (op === "closed") { reconnect(); }
    }
  });
  window.consoleClient = client;
  var handIn = document.getElementById("hand-in");
  client.opts.onPage = function (requestId, blob) {
    var img = document.getElementById("doc-page");
    if (img.src) { URL.revokeObjectURL(img.src); }
    img.src = URL.createObjectURL(blob);
    document.getElementById("doc-out").hidden = false;
    handIn.dataset.request = requestId; handIn.hidden = false; handIn.disabled = false;
    say(T.page_in);
  };
  handIn.addEventListener("click", function () {
    client.send({op: "hand_in", request_id: handIn.dataset.request}); handIn.disabled = true;
  });
  client.connect(root.dataset.ticket);

  /* A dropped WebSocket: fetch a new ticket with the session and connect again. The server
     keeps the call for browser_timeout_s, so the call resumes (the peers are renegotiated). */
  var attempts = 0;
  async function reconnect() {
    if (attempts >= 5) { say(T.disconnected); return; }
    attempts += 1;
    await new Promise(function (r) { setTimeout(r, 1000 * attempts); });
    try {
      var answer = await fetch(root.dataset.ticketUrl, {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/x-www-form-urlencoded"},
        body: "csrf_token=" + encodeURIComponent(root.dataset.csrf)});
      if (!answer.ok) { say(T.disconnected); return; }
      client.closeAll();
      client.connect((await answer.json()).ticket);
    } catch (err) { reconnect(); }
  }

  client.bindChat(document.getElementById("chat-input"), document.getElementById("chat-form"));
  document.getElementById("request-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var item = document.getElementById("request-item");
    if (item.value.trim()) { client.send({op: "request_document", item: item.value.trim()}); item.value = ""; }
  });
  function toggle(id, on, off, apply) {
    var button = document.getElementById(id);
    button.addEventListener("click", async function () {
      var pressed = button.getAttribute("aria-pressed") !== "true";
      var result = await apply(pressed);
      if (result === false && pressed) { return; }
      button.setAttribute("aria-pressed", String(pressed));
      button.textContent = pressed ? on : off;
    });
  }
  toggle("mute", T.unmute, T.mute, function (p) { client.setMuted(p); });
  toggle("camera", T.camera_on, T.camera_off, function (p) { client.setCameraOff(p); });
  toggle("share", T.unshare, T.share, async function (p) {
    try { return await client.shareScreen(p); } catch (err) { say(T.screen_failed); return false; }
  });
  document.getElementById("invite").addEventListener("click", function () { client.send({op: "invite"}); });
  removeGuest.addEventListener("click", function () { client.send({op: "remove_guest"}); });
  document.getElementById("end").addEventListener("click", function () { client.send({op: "end"}); });
})();
