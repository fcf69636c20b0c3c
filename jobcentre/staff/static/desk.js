/* Service desk: follow the help-call event stream, update table, status and badge, and play
   the chime (new call) or the alarm (escalated call). Browsers block sound until the user
   has interacted with the page (autoplay policy): the first click or key press anywhere, or
   the "turn on sound" button, unlocks it. Without this script the page works with reload. */
(function () {
  "use strict";
  var calls = document.getElementById("desk-calls");
  if (!calls || !window.EventSource) { return; }
  var statusEl = document.getElementById("desk-status");
  var badge = document.getElementById("desk-badge");
  var box = document.getElementById("desk-sound-box");
  var button = document.getElementById("desk-sound");
  var soundState = document.getElementById("desk-sound-state");
  var base = calls.getAttribute("data-sounds");
  var chime = new Audio(base + "chime.wav");
  var alarm = new Audio(base + "alarm.wav");
  alarm.volume = 1.0;
  chime.volume = 0.6;
  var unlocked = false;
  var known = null;
  var knownEscalated = {};

  function unlock() {
    if (unlocked) { return; }
    unlocked = true;
    button.setAttribute("aria-pressed", "true");
    soundState.textContent = soundState.getAttribute("data-on");
    /* a muted play inside the user gesture lets later plays through */
    chime.muted = true;
    var p = chime.play();
    var restore = function () { chime.pause(); chime.currentTime = 0; chime.muted = false; };
    if (p && p.then) { p.then(restore, restore); } else { restore(); }
  }

  function play(audio) {
    if (!unlocked) { return; }
    try {
      audio.currentTime = 0;
      var p = audio.play();
      if (p && p.catch) { p.catch(function () {}); }
    } catch (e) { /* sound is a bonus; the table always shows the call */ }
  }

  box.hidden = false;
  button.addEventListener("click", unlock);
  document.addEventListener("pointerdown", unlock, { once: true });
  document.addEventListener("keydown", unlock, { once: true });

  function update(d) {
    var focused = document.activeElement && calls.contains(document.activeElement);
    calls.innerHTML = d.html;
    if (focused) { calls.focus && calls.setAttribute("tabindex", "-1"); calls.focus(); }
    if (statusEl.textContent !== d.status) { statusEl.textContent = d.status; }
    statusEl.setAttribute("data-escalated", String(d.escalated.length));
    if (badge) {
      badge.hidden = d.open === 0;
      badge.textContent = d.badge;
    }
    var fresh = false, newlyEscalated = false, i;
    if (known !== null) {
      for (i = 0; i < d.ids.length; i++) { if (!known[d.ids[i]]) { fresh = true; } }
    }
    for (i = 0; i < d.escalated.length; i++) {
      if (!knownEscalated[d.escalated[i]]) { newlyEscalated = true; }
    }
    known = {}; knownEscalated = {};
    for (i = 0; i < d.ids.length; i++) { known[d.ids[i]] = true; }
    for (i = 0; i < d.escalated.length; i++) { knownEscalated[d.escalated[i]] = true; }
    document.title = (d.open ? "(" + d.open + ") " : "") + document.title.replace(/^\(\d+\) /, "");
    if (newlyEscalated) { play(alarm); } else if (fresh) { play(chime); }
    calls.setAttribute("data-updates", String(Number(calls.getAttribute("data-updates") || 0) + 1));
  }

  var source = new EventSource(calls.getAttribute("data-events"));
  source.addEventListener("calls", function (e) { update(JSON.parse(e.data)); });
}());
