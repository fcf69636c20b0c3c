"""Loading untrusted image files: every bad file gets a reason code, nothing crashes."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from config.scanning import ScanQualityConfig
from foundation.errors import ScanRejected
from scanning.files import load_image_bytes, load_image_file
from tests.scanning.conftest import corpus_case


def _png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 130, 140)).save(out, format="JPEG")
    return out.getvalue()


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size (a decompression bomb)."""
    data = bytearray(_png())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return bytes(data)


def _reasons(data: bytes, config: ScanQualityConfig) -> list[str]:
    with pytest.raises(ScanRejected) as info:
        load_image_bytes(data, config)
    return info.value.reasons


def test_valid_png_loads_as_bgr(config: ScanQualityConfig) -> None:
    image = load_image_bytes(_png(), config)
    assert image.shape == (48, 64, 3)
    assert image.dtype == np.uint8
    assert tuple(image[0, 0]) == (10, 10, 200)  # BGR order


def test_mislabelled_file_is_read_by_content(tmp_path: Path, config: ScanQualityConfig) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(_png())
    assert load_image_file(path, config).shape == (48, 64, 3)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, this is text", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", b"GIF89a" + b"\0" * 40],
    ids=["zero-byte", "text", "pdf", "garbage-gif"],
)
def test_unreadable_files_are_unsupported(data: bytes, config: ScanQualityConfig) -> None:
    assert _reasons(data, config) == ["unsupported_file"]


def test_truncated_jpeg_is_unsupported(config: ScanQualityConfig) -> None:
    data = _jpeg()
    assert _reasons(data[: len(data) // 2], config) == ["unsupported_file"]


def test_gif_is_an_unsupported_format(config: ScanQualityConfig) -> None:
    out = io.BytesIO()
    Image.new("P", (32, 32)).save(out, format="GIF")
    assert _reasons(out.getvalue(), config) == ["unsupported_file"]


@pytest.mark.parametrize("size", [(10_000, 10_000), (60_000, 60_000)])
def test_decompression_bomb_refused_before_decoding(
    size: tuple[int, int], config: ScanQualityConfig
) -> None:
    assert _reasons(_bomb_png(*size), config) == ["too_large"]


def test_file_over_byte_limit_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(_jpeg() + b"\0" * 2_000_000)
    with pytest.raises(ScanRejected) as info:
        load_image_file(path, ScanQualityConfig(max_file_mb=1.0))
    assert info.value.reasons == ["too_large"]


def test_missing_file_is_unsupported(tmp_path: Path, config: ScanQualityConfig) -> None:
    with pytest.raises(ScanRejected) as info:
        load_image_file(tmp_path / "nope.jpg", config)
    assert info.value.reasons == ["unsupported_file"]


def test_exif_rotation_is_applied(config: ScanQualityConfig) -> None:
    image = Image.new("RGB", (60, 40), (255, 255, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    assert load_image_bytes(out.getvalue(), config).shape[:2] == (60, 40)


def _pillow_bgr(data: bytes) -> np.ndarray:
    """What Pillow alone gives (the reference for the OpenCV JPEG path)."""
    image = Image.open(io.BytesIO(data))
    upright = ImageOps.exif_transpose(image) or image
    return np.ascontiguousarray(np.asarray(upright.convert("RGB"))[..., ::-1])


def _photo_jpeg(orientation: int = 1, mode: str = "RGB", **options: object) -> bytes:
    rng = np.random.default_rng(orientation)
    pixels = rng.integers(0, 256, (48, 72, 3), dtype=np.uint8)
    pixels[:, :20] = (250, 240, 230)  # a bright stripe, so a wrong transposition shows
    image = Image.fromarray(pixels).convert(mode)
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, **options)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_pixels_and_orientation_match_pillow(orientation: int,
                                                  config: ScanQualityConfig) -> None:
    data = _photo_jpeg(orientation)
    loaded = load_image_bytes(data, config)
    assert loaded.flags["C_CONTIGUOUS"]
    assert np.array_equal(loaded, _pillow_bgr(data))


@pytest.mark.parametrize(
    ("mode", "options"),
    [("L", {}), ("RGB", {"progressive": True}), ("RGB", {"subsampling": 0, "quality": 95}),
     ("CMYK", {})],
    ids=["grey", "progressive", "444", "cmyk"],
)
def test_jpeg_variants_match_pillow(mode: str, options: dict[str, object],
                                    config: ScanQualityConfig) -> None:
    data = _photo_jpeg(1, mode, **options)
    assert np.array_equal(load_image_bytes(data, config), _pillow_bgr(data))


def test_corpus_photo_matches_pillow(config: ScanQualityConfig) -> None:
    data = corpus_case("good", 380).jpeg
    assert np.array_equal(load_image_bytes(data, config), _pillow_bgr(data))
