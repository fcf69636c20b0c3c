"""Synthetic evaluation corpus: rendered documents composed into camera photos and scans.

Each ``SyntheticCase`` knows its ground truth (page corners in photo pixels, clockwise from
the page's own top-left; the rotation that makes the rectified page upright; the expected
verdict and reason; the drawn words). Good photos get perspective, uneven light, shadows,
noise and JPEG; bad variants add defocus, motion blur, darkness, over-exposure, glare, a cut
off page, too much distance, or no document at all (wall, hand, blank sheet). Faded-text
pages (``FADED_KINDS``: faint print or a reflection over full-white paper) are made on request
and are not part of ``corpus_kinds``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from scanning.synthetic_docs import DOCUMENT_TYPES, RenderedDocument, render_blank, render_document
from scanning.synthetic_faded import fade_print, text_area, whiten_paper

PHOTO_SIZE = (4000, 3000)  # width, height of a 12-megapixel document-camera still

GOOD_KINDS = (
    "good",
    "good",
    "good",
    "good_rot90",
    "good",
    "good_rot180",
    "scan",
    "good",
    "good_foreign",
    "scan",
)
BAD_KINDS = (
    "defocus",
    "motion",
    "dark",
    "bright",
    "glare",
    "cut_off",
    "far",
    "wall",
    "hand",
    "blank",
)
EXPECTED_REASON = {
    "defocus": "blur",
    "motion": "blur",
    "dark": "too_dark",
    "bright": "too_bright",
    "glare": "glare",
    "cut_off": "cut_off",
    "far": "low_resolution",
    "wall": "no_page",
    "hand": "no_page",
    "blank": "no_page",
    "faded": "faded_text",
    "glare_white": "glare",
}
#: pages whose text fades into bright paper (``synthetic_faded``), scored on their own
FADED_KINDS = ("faded", "glare_white")
_FOREIGN = ("en", "uk", "ru", "tr", "ar", "fa")


@dataclass(frozen=True)
class SyntheticCase:
    """One corpus image with its ground truth."""

    name: str
    kind: str
    image: np.ndarray  # BGR uint8
    jpeg: bytes
    corners: np.ndarray | None  # 4x2 float, clockwise from the page's own top-left
    rotation: int  # clockwise degrees that make the rectified page upright
    document: RenderedDocument | None

    @property
    def expected_verdict(self) -> str:
        """``accept`` for good pages and scans, ``reject`` for bad variants."""
        return "reject" if self.kind in EXPECTED_REASON else "accept"

    @property
    def expected_reason(self) -> str | None:
        """The reason code a bad variant must be rejected with."""
        return EXPECTED_REASON.get(self.kind)


def _smooth_field(
    rng: np.random.Generator, size: tuple[int, int], cells: int, lo: float, hi: float
) -> np.ndarray:
    """A smooth random field in [lo, hi] at ``size`` (w, h), from a coarse grid."""
    coarse = rng.uniform(lo, hi, (cells, cells)).astype(np.float32)
    field = cv2.resize(coarse, size, interpolation=cv2.INTER_CUBIC)
    return np.asarray(field.clip(lo, hi), np.float32)


def make_background(rng: np.random.Generator, size: tuple[int, int] = PHOTO_SIZE) -> np.ndarray:
    """A desk-like background: dark mat, wood, grey cloth or a mid-tone table."""
    w, h = size
    style = rng.integers(0, 4)
    small = (w // 8, h // 8)
    if style == 0:
        base = np.array([40, 40, 45], np.float32) * rng.uniform(0.6, 1.4)
    elif style == 1:
        base = np.array([60, 100, 150], np.float32) * rng.uniform(0.7, 1.1)
    elif style == 2:
        base = np.array([95, 95, 100], np.float32) * rng.uniform(0.8, 1.2)
    else:
        base = np.array([110, 120, 90], np.float32) * rng.uniform(0.7, 1.1)
    field = _smooth_field(rng, small, 6, 0.75, 1.2)
    img = field[..., None] * base[None, None, :]
    if style == 1:  # wood grain
        ys = np.arange(small[1], dtype=np.float32)[:, None]
        grain = 1 + 0.12 * np.sin(ys / rng.uniform(3, 9) + rng.uniform(0, 6))
        img = img * grain[..., None]
    img += rng.normal(0, 4, img.shape).astype(np.float32)
    out = cv2.resize(np.clip(img, 0, 255).astype(np.uint8), size, interpolation=cv2.INTER_LINEAR)
    return np.asarray(out, np.uint8)


def _page_corners(
    rng: np.random.Generator,
    page_wh: tuple[int, int],
    height_frac: float,
    size: tuple[int, int],
    shift: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """Destination corners (TL, TR, BR, BL of the displayed page) with tilt and perspective."""
    w, h = size
    pw, ph = page_wh
    scale = height_frac * min(h / ph, w / pw)
    half = np.array([[-pw, -ph], [pw, -ph], [pw, ph], [-pw, ph]], np.float64) * scale / 2
    angle = np.deg2rad(rng.uniform(-10, 10))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    pts = half @ rot.T
    pts += rng.uniform(-0.035, 0.035, (4, 2)) * ph * scale
    pts -= (pts.max(axis=0) + pts.min(axis=0)) / 2
    span = pts.max(axis=0) - pts.min(axis=0)
    pts *= min(1.0, float(np.min(0.95 * np.array([w, h]) / span)))
    room = np.array([w, h]) - (pts.max(axis=0) - pts.min(axis=0))
    center = np.array([w / 2, h / 2]) + rng.uniform(-0.4, 0.4, 2) * room
    for axis, direction in enumerate(np.sign(shift)):
        if direction:  # push the page over that frame edge by 20-35 % of its extent
            extent = pts[:, axis].max() - pts[:, axis].min()
            over = rng.uniform(0.2, 0.35) * extent
            limit = (w, h)[axis]
            if direction > 0:
                center[axis] = limit + over - pts[:, axis].max()
            else:
                center[axis] = -over - pts[:, axis].min()
    return np.asarray(pts + center, np.float64)


def compose_photo(
    page: np.ndarray,
    rng: np.random.Generator,
    *,
    height_frac: float,
    shift: tuple[float, float] = (0.0, 0.0),
    size: tuple[int, int] = PHOTO_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """Place a greyscale page into a desk photo; returns (BGR photo, displayed corners)."""
    ph, pw = page.shape[:2]
    dst = _page_corners(rng, (pw, ph), height_frac, size, shift).astype(np.float32)
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    tint = np.array([rng.uniform(0.9, 0.97), rng.uniform(0.95, 1.0), 1.0], np.float32)
    page_bgr = cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)
    warped = cv2.warpPerspective(page_bgr, matrix, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, size)
    photo = make_background(rng, size)
    alpha = (mask.astype(np.float32) / 255)[..., None]
    out = warped.astype(np.float32) * tint * alpha + photo.astype(np.float32) * (1 - alpha)
    light = _smooth_field(rng, (size[0] // 16, size[1] // 16), 3, 0.72, 1.0)
    if rng.random() < 0.5:  # a soft shadow of the camera arm or a hand
        shadow = np.ones_like(light)
        x0 = int(rng.integers(0, light.shape[1] // 2))
        shadow[:, x0 : x0 + light.shape[1] // 4] = rng.uniform(0.75, 0.88)
        light = light * cv2.GaussianBlur(shadow, (0, 0), 12)
    light = cv2.resize(light, size, interpolation=cv2.INTER_LINEAR)
    out *= light[..., None]
    return out.clip(0, 255).astype(np.uint8), dst.astype(np.float64)


def finish_camera(
    img: np.ndarray, rng: np.random.Generator, sigma: float | None = None
) -> np.ndarray:
    """Optics and sensor: slight blur, noise."""
    img = cv2.GaussianBlur(img, (0, 0), sigma if sigma is not None else rng.uniform(0.6, 1.0))
    noise = rng.normal(0, rng.uniform(1.5, 3.5), img.shape).astype(np.float32)
    return (img.astype(np.float32) + noise).clip(0, 255).astype(np.uint8)


def motion_blur(img: np.ndarray, length: int, angle_deg: float) -> np.ndarray:
    """Linear motion blur of ``length`` pixels at ``angle_deg``."""
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle_deg, 1.0)
    turned = cv2.warpAffine(kernel, rot, (length, length))
    return np.asarray(cv2.filter2D(img, -1, turned / turned.sum()), np.uint8)


def add_glare(
    img: np.ndarray,
    corners: np.ndarray,
    rng: np.random.Generator,
    area: tuple[float, float, float, float] = (0.3, 0.7, 0.3, 0.7),
) -> np.ndarray:
    """A specular reflection: a saturated bright blob over the page's text area.

    ``area`` is where its centre may fall: left, right, top, bottom as page fractions."""
    h, w = img.shape[:2]
    t = np.array([rng.uniform(area[0], area[1]), rng.uniform(area[2], area[3])])
    top = corners[0] + (corners[1] - corners[0]) * t[0]
    bottom = corners[3] + (corners[2] - corners[3]) * t[0]
    cx, cy = top + (bottom - top) * t[1]
    page_height = float(np.linalg.norm(corners[3] - corners[0]))
    radius = rng.uniform(0.1, 0.15) * page_height
    yy, xx = np.ogrid[:h, :w]
    blob = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius**2))).astype(np.float32)
    out = img.astype(np.float32) + rng.uniform(350, 500) * blob[..., None]
    return np.asarray(out.clip(0, 255), np.uint8)


def _order_from_page_top_left(displayed: np.ndarray, k: int) -> np.ndarray:
    """Corners clockwise from the page's own top-left after an anticlockwise turn of 90·k."""
    return np.array([displayed[(3 * k + i) % 4] for i in range(4)])


def _scan(doc: RenderedDocument, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A flatbed-style scan: page at 300 dpi, slight skew, light lid margin."""
    page = doc.image
    if doc.dpi != 300:
        page = cv2.resize(
            page, None, fx=300 / doc.dpi, fy=300 / doc.dpi, interpolation=cv2.INTER_CUBIC
        )
    ph, pw = page.shape
    margin = int(0.015 * ph)
    canvas = (pw + 2 * margin, ph + 2 * margin)
    angle = rng.uniform(-1.2, 1.2)
    rot = cv2.getRotationMatrix2D((canvas[0] / 2, canvas[1] / 2), angle, 1.0)
    rot[:, 2] += margin
    out = cv2.warpAffine(page, rot, canvas, borderValue=int(rng.integers(200, 225)))
    corners = cv2.transform(np.array([[[0, 0], [pw, 0], [pw, ph], [0, ph]]], np.float64), rot)[0]
    out = finish_camera(cv2.cvtColor(out, cv2.COLOR_GRAY2BGR), rng, sigma=0.5)
    return out, corners


def _hand(rng: np.random.Generator) -> np.ndarray:
    img = make_background(rng)
    skin = (int(rng.integers(120, 160)), int(rng.integers(150, 180)), int(rng.integers(190, 230)))
    cx, cy = int(rng.integers(1400, 2600)), int(rng.integers(1200, 1900))
    cv2.ellipse(img, (cx, cy), (520, 640), 0, 0, 360, skin, -1)
    for i in range(4):
        cv2.ellipse(img, (cx - 390 + i * 260, cy - 900), (95, 380), 0, 0, 360, skin, -1)
    cv2.ellipse(img, (cx + 640, cy - 150), (110, 330), -40, 0, 360, skin, -1)
    return finish_camera(img, rng)


def _wall(rng: np.random.Generator) -> np.ndarray:
    base = np.array([200, 215, 225], np.float32) * rng.uniform(0.8, 1.05)
    field = _smooth_field(rng, (500, 375), 5, 0.85, 1.05)
    grain = rng.normal(1, 0.03, (375, 500)).astype(np.float32)
    img = (field * grain)[..., None] * base
    img = cv2.resize(img.clip(0, 255).astype(np.uint8), PHOTO_SIZE, interpolation=cv2.INTER_CUBIC)
    return finish_camera(img, rng)


def make_case(kind: str, seed: int) -> SyntheticCase:
    """Build one corpus case of ``kind`` (see GOOD_KINDS and BAD_KINDS) deterministically."""
    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    doc_type = DOCUMENT_TYPES[seed % len(DOCUMENT_TYPES)]
    if kind in ("scan", "blank", "cut_off", "far", "glare", *FADED_KINDS):
        doc_type = prng.choice([t for t in DOCUMENT_TYPES if t != "identity_document"])
    language = prng.choice(_FOREIGN) if kind == "good_foreign" else "de"
    if language != "de":
        doc_type = "other"
    doc = None if kind in ("wall", "hand") else render_document(doc_type, seed, language=language)
    k = {"good_rot90": prng.choice((1, 3)), "good_rot180": 2}.get(kind, 0)
    corners: np.ndarray | None = None
    if kind == "wall":
        img = _wall(rng)
    elif kind == "hand":
        img = _hand(rng)
    elif kind == "scan":
        assert doc is not None
        img, corners = _scan(doc, rng)
    else:
        page = render_blank(seed) if kind == "blank" else doc.image  # type: ignore[union-attr]
        if kind == "faded":
            page = fade_print(page, rng)
        page = np.rot90(page, k).copy()
        frac = rng.uniform(0.78, 0.92)
        if kind == "far":
            frac = rng.uniform(0.28, 0.4)
        if doc is not None and doc.doc_type == "identity_document" and kind != "far":
            frac = rng.uniform(0.45, 0.6)
        shift = (0.0, 0.0)
        if kind == "cut_off":
            shift = prng.choice(((0.33, 0.0), (-0.33, 0.0), (0.0, 0.3), (0.0, -0.3)))
        img, displayed = compose_photo(page, rng, height_frac=frac, shift=shift)
        corners = _order_from_page_top_left(displayed, k)
        if kind in FADED_KINDS:
            img = whiten_paper(img, rng)
        if kind == "glare":
            img = add_glare(img, displayed, rng)
        elif kind == "glare_white":  # over the text, where the amounts are
            left, right, top, bottom = text_area(page)
            area = (max(left, 0.25), max(min(right, 0.75), 0.3),
                    max(top, 0.15), max(min(bottom, 0.85), 0.2))
            img = add_glare(img, displayed, rng, area)
        if kind == "defocus":
            img = finish_camera(img, rng, sigma=rng.uniform(4.5, 7.0))
        elif kind == "motion":
            img = motion_blur(
                finish_camera(img, rng), int(rng.integers(28, 48)), rng.uniform(0, 180)
            )
        elif kind == "dark":
            img = finish_camera(
                (img.astype(np.float32) * rng.uniform(0.1, 0.16)).astype(np.uint8), rng
            )
        elif kind == "bright":
            washed = 255 - (255 - img.astype(np.float32) * 1.3).clip(0, 255) * rng.uniform(
                0.15, 0.25
            )
            img = finish_camera(washed.clip(0, 255).astype(np.uint8), rng)
        else:
            img = finish_camera(img, rng)
    quality = int(rng.integers(80, 93))
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    jpeg = buf.tobytes()
    decoded = np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8)
    truth = None if corners is None else np.asarray(corners, np.float64)
    return SyntheticCase(
        f"{seed:04d}-{kind}", kind, decoded, jpeg, truth, 90 * k, None if kind == "blank" else doc
    )


def corpus_kinds(n: int) -> list[str]:
    """The kinds of an ``n``-case corpus: good and bad cases interleaved, about half each."""
    kinds: list[str] = []
    for i in range(n):
        pool = GOOD_KINDS if i % 2 == 0 else BAD_KINDS
        kinds.append(pool[(i // 2) % len(pool)])
    return kinds


def generate_corpus(n: int, seed: int = 1000) -> Iterator[SyntheticCase]:
    """Yield ``n`` cases, deterministic for a given seed."""
    for i, kind in enumerate(corpus_kinds(n)):
        yield make_case(kind, seed + i)
