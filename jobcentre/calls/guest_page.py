"""The guest page ``/guest/{token}`` (the only page without a staff login) and the call assets.

German by default, English with ``?lang=en`` (or the ``guest_lang`` cookie it sets). A valid
invitation shows the device check (see yourself, microphone level), a name field and "join";
an unknown, expired, used or withdrawn invitation shows why, with status 404/410/409/403.
Scripts and styles come from ``/guest/static/`` (this package); the page's
Content-Security-Policy allows nothing else.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from foundation.errors import ApiError

STATIC = ("call.js", "guest.js", "console.js", "call.css")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "media-src 'self' blob: mediastream:; connect-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer",
           "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
           "Permissions-Policy": "camera=(self), microphone=(self), display-capture=()"}
LANG_COOKIE = "guest_lang"

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "title": "Videoberatung: Teilnahme als Gast",
        "intro": "Sie wurden zu einer Videoberatung des Jobcenters eingeladen, zum Beispiel "
                 "zum Dolmetschen oder zur Unterstützung.",
        "check": "Kamera und Mikrofon prüfen",
        "check_start": "Prüfung starten",
        "self_view": "Ihr eigenes Kamerabild",
        "mic_level": "Mikrofonpegel",
        "name": "Ihr Name (sehen die anderen Teilnehmenden)",
        "join": "Teilnehmen",
        "call": "Im Gespräch",
        "counsellor": "Beratung",
        "kiosk": "Besucherin oder Besucher am Terminal",
        "guest": "Gast",
        "you": "Sie",
        "chat": "Gesprächstext",
        "chat_input": "Text schreiben (erscheint beim Tippen)",
        "send": "Senden",
        "mute": "Mikrofon aus",
        "unmute": "Mikrofon an",
        "camera_off": "Kamera aus",
        "camera_on": "Kamera an",
        "leave": "Gespräch verlassen",
        "joining": "Verbindung wird aufgebaut …",
        "joined": "Sie sind im Gespräch.",
        "screen_on": "Die Beratung zeigt ihren Bildschirm.",
        "screen_off": "Die Beratung zeigt wieder ihre Kamera.",
        "removed": "Die Beratung hat Sie aus dem Gespräch entfernt.",
        "ended": "Das Gespräch ist beendet.",
        "left": "Sie haben das Gespräch verlassen.",
        "no_devices": "Kamera oder Mikrofon sind nicht verfügbar. Bitte erlauben Sie den "
                      "Zugriff im Browser.",
        "name_required": "Bitte geben Sie Ihren Namen ein.",
        "token_unknown": "Diese Einladung gibt es nicht. Bitte prüfen Sie den Link.",
        "token_expired": "Diese Einladung ist abgelaufen. Bitte fragen Sie nach einer neuen.",
        "token_used": "Diese Einladung wurde schon benutzt. Jede Einladung gilt nur einmal.",
        "token_revoked": "Diese Einladung wurde zurückgezogen.",
        "call_ended": "Das Gespräch zu dieser Einladung ist bereits beendet.",
        "guest_present": "Es ist bereits ein Gast im Gespräch.",
        "failure": "Die Verbindung ist fehlgeschlagen. Bitte laden Sie die Seite neu.",
        "language": "Sprache",
    },
    "en": {
        "title": "Video counselling: joining as a guest",
        "intro": "You have been invited to a video counselling session of the job centre, "
                 "for example to interpret or to support someone.",
        "check": "Check camera and microphone",
        "check_start": "Start the check",
        "self_view": "Your own camera picture",
        "mic_level": "Microphone level",
        "name": "Your name (shown to the others)",
        "join": "Join",
        "call": "In the call",
        "counsellor": "Counsellor",
        "kiosk": "Visitor at the kiosk",
        "guest": "Guest",
        "you": "You",
        "chat": "Conversation text",
        "chat_input": "Write text (appears as you type)",
        "send": "Send",
        "mute": "Microphone off",
        "unmute": "Microphone on",
        "camera_off": "Camera off",
        "camera_on": "Camera on",
        "leave": "Leave the call",
        "joining": "Connecting …",
        "joined": "You are in the call.",
        "screen_on": "The counsellor is showing their screen.",
        "screen_off": "The counsellor is showing their camera again.",
        "removed": "The counsellor has removed you from the call.",
        "ended": "The call has ended.",
        "left": "You have left the call.",
        "no_devices": "Camera or microphone are not available. Please allow access in your "
                      "browser.",
        "name_required": "Please enter your name.",
        "token_unknown": "This invitation does not exist. Please check the link.",
        "token_expired": "This invitation has expired. Please ask for a new one.",
        "token_used": "This invitation has already been used. Each invitation works once.",
        "token_revoked": "This invitation has been withdrawn.",
        "call_ended": "The call of this invitation has already ended.",
        "guest_present": "There is already a guest in the call.",
        "failure": "The connection failed. Please reload the page.",
        "language": "Language",
    },
}


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "de"
    return lang if lang in TEXTS else "de"


def guest_page(request: Request, error: str, status: int) -> Response:
    """The guest page: device check and join, or why the invitation cannot be used."""
    lang = _lang(request)
    t = TEXTS[lang]
    other = "en" if lang == "de" else "de"
    switch = (f'<nav class="lang" aria-label="{t["language"]}"><a href="?lang={other}" '
              f'lang="{other}" hreflang="{other}">{"English" if other == "en" else "Deutsch"}'
              "</a></nav>")
    if error:
        text = escape(t.get(error, t["failure"]))
        body = f'<div class="notice error" role="alert"><p>{text}</p></div>'
    else:
        body = f"""<p>{t["intro"]}</p>
<section id="check" aria-labelledby="check-h"><h2 id="check-h">{t["check"]}</h2>
<button type="button" id="check-start">{t["check_start"]}</button>
<div class="preview">
<video id="self-view" autoplay muted playsinline aria-label="{t["self_view"]}"></video>
<p><label for="mic-level">{t["mic_level"]}</label>
<meter id="mic-level" min="0" max="1" value="0">0</meter></p></div>
<form id="join-form" class="stack" novalidate>
<div class="field"><label for="guest-name">{t["name"]}</label>
<input id="guest-name" name="name" type="text" maxlength="60" required autocomplete="name"></div>
<button type="submit">{t["join"]}</button></form></section>
<section id="call" hidden aria-labelledby="call-h"><h2 id="call-h" tabindex="-1">{t["call"]}</h2>
<div class="videos" id="videos"><figure>
<video id="call-self" autoplay muted playsinline></video><figcaption>{t["self_view"]}</figcaption>
</figure></div>
<div class="controls"><button type="button" id="mute" aria-pressed="false">{t["mute"]}</button>
<button type="button" id="camera" aria-pressed="false">{t["camera_off"]}</button>
<button type="button" id="leave" class="danger">{t["leave"]}</button></div>
<h3 id="chat-h">{t["chat"]}</h3>
<div id="chat-log" class="chat-log" role="log" aria-labelledby="chat-h" tabindex="0"></div>
<form id="chat-form" class="chat-form"><label for="chat-input">{t["chat_input"]}</label>
<input id="chat-input" type="text" maxlength="500" autocomplete="off">
<button type="submit">{t["send"]}</button></form></section>"""
    texts = json.dumps(t).replace("<", "\\u003c")
    html = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t["title"]}</title><link rel="stylesheet" href="/guest/static/call.css"></head>
<body><header class="top"><div class="brand">Jobcenter</div>{switch}</header>
<main id="main"><h1>{t["title"]}</h1>
<div id="status" role="status" class="status"></div>
{body}</main>
<script type="application/json" id="texts">{texts}</script>
<script src="/guest/static/call.js"></script><script src="/guest/static/guest.js"></script>
</body></html>"""
    response = HTMLResponse(html, status_code=status, headers=HEADERS)
    if request.query_params.get("lang") in TEXTS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, secure=True,
                            httponly=True, samesite="strict", path="/guest/")
    return response


def static_file(name: str) -> Response:
    """One of the call page assets from this package."""
    if name not in STATIC:
        raise ApiError(404, "not_found")
    data = resources.files("jobcentre.calls").joinpath(f"static/{name}").read_bytes()
    media = "text/css" if name.endswith(".css") else "text/javascript"
    return Response(data, media_type=f"{media}; charset=utf-8",
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
