"""The staff page ``/verify``: paste or scan a receipt's QR text and see if it is genuine.

Plain server-rendered HTML, German first with English beneath (``lang="en"`` spans), no
scripts, a visible label and focus ring, text verdicts (not colour alone) and an
``aria-live`` result region. ``GET /verify?payload=…`` works for phones that open a URL
from the QR code; ``POST /verify`` takes the form. Payloads never reach the logs.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError
from jobcentre.intake import IntakeService
from jobcentre.receipts import (
    FORGED,
    UNREADABLE,
    DocumentState,
    ReceiptCheck,
    check_receipt,
    local_time,
)

FORM_LIMIT = 16 * 1024
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

STYLE = """
body{font-family:system-ui,sans-serif;font-size:1.15rem;line-height:1.5;margin:0;
color:#111;background:#fff}
main{max-width:46rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem;margin:.2rem 0 1rem}
.en{display:block;color:#333;font-size:.9em}
label{font-weight:600;display:block;margin-bottom:.4rem}
textarea{width:100%;box-sizing:border-box;font:1rem monospace;padding:.5rem;
border:2px solid #333;border-radius:4px}
button{margin-top:.8rem;font-size:1.1rem;padding:.6rem 1.4rem;background:#0b4a8b;color:#fff;
border:0;border-radius:4px;cursor:pointer}
:focus-visible{outline:3px solid #c45500;outline-offset:2px}
.verdict{border:3px solid;border-radius:6px;padding:1rem;margin:1.5rem 0}
.genuine{background:#e7f5ea;border-color:#0b5d1e;color:#0b3d14}
.forged{background:#fdecee;border-color:#8a1020;color:#5c0a15}
.verdict h2{margin:0 0 .4rem;font-size:1.4rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #999;vertical-align:top}
"""


def _bi(german: str, english: str) -> str:
    return f'{escape(german)}<span class="en" lang="en">{escape(english)}</span>'


def _page(result_html: str, payload: str = "") -> str:
    focus = "" if result_html else " autofocus"
    return f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Eingangsbestätigung prüfen – Check a receipt</title><style>{STYLE}</style></head>
<body><main>
<h1>{_bi("Eingangsbestätigung prüfen", "Check a receipt")}</h1>
<form method="post" action="/verify">
<label for="payload">{_bi("QR-Code scannen oder Text einfügen",
                         "Scan the QR code or paste its text")}</label>
<textarea id="payload" name="payload" rows="5" required{focus}
 spellcheck="false" autocomplete="off">{escape(payload)}</textarea>
<button type="submit">Prüfen <span lang="en">/ Check</span></button>
</form>
<div role="status" aria-live="polite">{result_html}</div>
</main></body></html>
"""


def _doc_state(check: ReceiptCheck, doc: DocumentState) -> str:
    if not check.looked_up:
        return _bi("Status unbekannt", "State unknown")
    if doc.received_at is None:
        return _bi("Noch nicht eingegangen", "Not yet received")
    when = local_time(doc.received_at)
    text = _bi(f"Eingegangen am {when}", f"Received by the job centre at {when}")
    if not doc.matches:
        text += "<br>" + _bi("Abweichung zur Bestätigung!", "Differs from the receipt!")
    return text


def _refused(title: str, text: str, code: str = "") -> str:
    detail = ""
    if code:
        detail = f"<p>{_bi('Fehlercode', 'Error code')}: <code>{escape(code)}</code></p>"
    return f'<section class="verdict forged"><h2>✘ {title}</h2><p>{text}</p>{detail}</section>'


def _received_row(check: ReceiptCheck) -> str:
    if check.received_at is not None:
        return escape(local_time(check.received_at))
    return _bi("Noch nicht vollständig eingegangen", "Not yet fully received")


def render_result(check: ReceiptCheck) -> str:
    """The verdict block for one checked receipt."""
    if check.verdict == FORGED:
        return _refused(
            _bi("Gefälscht – diese Bestätigung ist nicht echt",
                "Forged – this receipt is not genuine"),
            _bi("Die Daten wurden verändert oder stammen nicht von einem unserer Terminals.",
                "The data was changed or does not come from one of our terminals."),
        )
    if check.verdict == UNREADABLE:
        return _refused(
            _bi("Nicht lesbar – diese Bestätigung hat kein gültiges Format",
                "Unreadable – this receipt is malformed"),
            _bi("Bitte den QR-Code erneut scannen.", "Please scan the QR code again."),
            check.code,
        )
    r = check.receipt
    if check.genuine:
        head = "✔ " + _bi("Echt – die Bestätigung ist gültig", "Genuine – this receipt is valid")
        css = "genuine"
    else:
        head = "✘ " + _bi(
            "Ungültig – das Terminal wurde gesperrt, bevor die Dokumente eingingen",
            "Not valid – the terminal was revoked before the job centre received the documents")
        css = "forged"
    handed_in = escape(local_time(str(r.get("t", "")))) + "<br>" + _bi(
        "(Zeit laut Terminal)", "(the terminal's own clock)")
    rows = [
        (_bi("Nummer", "Receipt number"), escape(str(r.get("rn", "")))),
        (_bi("Terminal", "Terminal"), escape(f"{check.kiosk_name} ({r.get('kiosk', '')})")),
        (_bi("Ort", "Location"), escape(str(r.get("loc", "")))),
        (_bi("Abgegeben am Terminal", "Handed in at the terminal"), handed_in),
        (_bi("Beim Jobcenter eingegangen", "Received by the job centre"), _received_row(check)),
        (_bi("Kundennummer", "Customer number"), escape(str(r.get("cn", "")))),
    ]
    info = "".join(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>' for k, v in rows)
    docs = "".join(
        f"<tr><td>{escape(d.short_id)}</td><td>{escape(d.document_type)}</td>"
        f"<td>{d.pages}</td><td>{_doc_state(check, d)}</td></tr>"
        for d in check.documents
    )
    note = ""
    if check.kiosk_revoked_at:
        since = local_time(check.kiosk_revoked_at)
        note = "<p>" + _bi(f"Hinweis: Terminal gesperrt seit {since}",
                           f"Note: this terminal was revoked at {since}") + "</p>"
    return (
        f'<section class="verdict {css}"><h2>{head}</h2>'
        f"<table>{info}</table>{note}</section>"
        f"<h2>{_bi('Dokumente', 'Documents')}</h2>"
        "<table><thead><tr>"
        f"<th scope=\"col\">{_bi('Kennung', 'ID')}</th>"
        f"<th scope=\"col\">{_bi('Art', 'Type')}</th>"
        f"<th scope=\"col\">{_bi('Seiten', 'Pages')}</th>"
        f"<th scope=\"col\">{_bi('Stand', 'State')}</th>"
        f"</tr></thead><tbody>{docs}</tbody></table>"
    )


def add_verify_routes(app: FastAPI, service: IntakeService) -> None:
    """Register ``GET /verify`` and ``POST /verify`` on ``app``."""
    centre_key = service.keys.signing.public_key()

    async def respond(payload: str) -> HTMLResponse:
        payload = payload.strip()
        if not payload:
            return HTMLResponse(_page(""), headers=HEADERS)
        check = await run_in_threadpool(check_receipt, payload, centre_key, service.repo)
        status = 400 if check.verdict == UNREADABLE else 200
        return HTMLResponse(_page(render_result(check), payload), status, headers=HEADERS)

    @app.get("/verify", response_class=HTMLResponse, tags=["verify"])
    async def verify_form(payload: str = "") -> HTMLResponse:
        """The verification page; with ``?payload=`` it checks that receipt at once."""
        return await respond(payload[:FORM_LIMIT])

    @app.post("/verify", response_class=HTMLResponse, tags=["verify"])
    async def verify_submit(request: Request) -> HTMLResponse:
        """Check the receipt text submitted with the form."""
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > FORM_LIMIT:
                raise ApiError(413, "too_large", limit=FORM_LIMIT)
        fields = parse_qs(body.decode("utf-8", "replace"))
        return await respond(fields.get("payload", [""])[0])
