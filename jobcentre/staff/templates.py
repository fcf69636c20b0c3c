"""The one layout of every staff page, and small HTML helpers (no template engine).

Layout: a skip link, a header (service name, language switch, who is logged in, logout
button), the navigation by role, ``<main id="main">`` with the page's ``<h1>``, and a footer.
Every value goes through ``html.escape``; pages pass finished HTML only for their body.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse

from jobcentre.staff import csrf
from jobcentre.staff.web import PREFIX, StaffRequest

LANG_NAMES = {"de": "Deutsch", "en": "English"}


def esc(value: object) -> str:
    """HTML-escape any value."""
    return escape(str(value), quote=True)


def csrf_field(req: StaffRequest) -> str:
    """The hidden CSRF input every POST form carries."""
    return f'<input type="hidden" name="{csrf.FIELD}" value="{esc(req.csrf_token)}">'


def url(path: str, **query: str) -> str:
    """A path below ``/staff`` with a query string (empty values left out)."""
    params = {k: v for k, v in query.items() if v}
    return PREFIX + path + ("?" + urlencode(params) if params else "")


def _language_switch(req: StaffRequest) -> str:
    query = {k: v for k, v in req.request.query_params.items() if k != "lang"}
    links = []
    for code, name in LANG_NAMES.items():
        if code == req.t.lang:
            continue
        href = req.request.url.path + "?" + urlencode({**query, "lang": code})
        links.append(f'<a href="{esc(href)}" lang="{code}" hreflang="{code}">{name}</a>')
    label = req.t("nav.language")
    return f'<nav class="lang" aria-label="{esc(label)}">{"".join(links)}</nav>'


def _user_box(req: StaffRequest) -> str:
    if req.account is None:
        return ""
    t = req.t
    who = t("layout.signed_in", user=req.account.username,
            role=t(f"role.{req.account.role}"))
    return (
        f'<div class="user"><span>{esc(who)}</span>'
        f'<form method="post" action="{PREFIX}/logout">{csrf_field(req)}'
        f'<button type="submit" class="secondary">{esc(t("layout.logout"))}</button></form></div>'
    )


def _nav(req: StaffRequest) -> str:
    entries = req.nav()
    if not entries:
        return ""
    current = req.request.url.path
    # the entry with the longest matching path is the current one (/fleet/rollouts/3 is
    # "Configuration & updates", not "Fleet")
    matching = [e.path for e in entries if current == PREFIX + e.path
                or current.startswith(PREFIX + e.path + "/")]
    here_path = max(matching, key=len) if matching else None
    items = []
    for entry in entries:
        href = PREFIX + entry.path
        mark = ' aria-current="page"' if entry.path == here_path else ""
        badge = ""
        if entry.badge:
            badge = (f' <span id="{entry.badge}" class="badge" hidden>'
                     f'<span class="count"></span></span>')
        items.append(f'<li><a href="{href}"{mark}>{esc(req.t(entry.label))}{badge}</a></li>')
    return (f'<nav class="main-nav" aria-label="{esc(req.t("nav.main"))}">'
            f'<ul>{"".join(items)}</ul></nav>')


def render(
    req: StaffRequest, title: str, body: str, status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A whole page in the staff layout."""
    t = req.t
    html = f"""<!DOCTYPE html>
<html lang="{t.lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} – {esc(t("layout.app"))}</title>
<link rel="stylesheet" href="{PREFIX}/static/staff.css"></head>
<body><a class="skip" href="#main">{esc(t("layout.skip"))}</a>
<header class="top"><div class="brand">{esc(t("layout.app"))}</div>
{_language_switch(req)}{_user_box(req)}</header>
{_nav(req)}
<main id="main" tabindex="-1"><h1>{esc(title)}</h1>
{body}
</main>
<footer><p>{esc(t("layout.footer"))}</p></footer>
</body></html>
"""
    return HTMLResponse(html, status_code=status, headers=headers)


def message(kind: str, text: str) -> str:
    """A notice box: ``kind`` is info, success or error (with a text prefix, not colour only)."""
    role = "alert" if kind == "error" else "status"
    return f'<div class="notice {kind}" role="{role}"><p>{esc(text)}</p></div>'


def table(caption: str, headers: list[str], rows: list[list[str]], empty: str) -> str:
    """A data table with a caption and column headers; cells are finished HTML."""
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    # focusable so that keyboard users can scroll a table wider than the screen
    return (f'<div class="table-wrap" role="region" tabindex="0" aria-label="{esc(caption)}">'
            f'<table><caption>{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")
