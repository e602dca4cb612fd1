"""Headless Chromium for the tests of HTML pages: a page's DOM after its scripts ran, or a screenshot's
pixels. Tests that use it are marked `needs_chromium` and skip where no Chromium is installed."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium); "
                             "the HTML report is not checked in a browser")


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120)


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and RGB pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks, header = 8, [], None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        at += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    previous = bytearray(stride)
    pixels = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            corner = previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        pixels.extend(tuple(line[x:x + 3]) for x in range(0, stride, step))
        previous = line
    return width, height, pixels


def dump_dom(page: Path, *, profile: Path) -> str:
    """The page's DOM as Chromium serialises it once loaded; a failed run fails the test with its stderr."""
    done = chromium("--dump-dom", page.as_uri(), profile=profile)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(page: Path, *, width: int, height: int, folder: Path) -> list[tuple[int, int, int]]:
    """The RGB pixels of the page shot in a `width` x `height` window (shot.png and the profile go in
    `folder`); no screenshot, or one of another size, fails the test."""
    shot = folder / "shot.png"
    done = chromium(f"--screenshot={shot}", f"--window-size={width},{height}", "--hide-scrollbars", page.as_uri(),
                    profile=folder / "profile")
    assert shot.is_file(), done.stderr[-2000:]
    shot_width, shot_height, pixels = png_pixels(shot.read_bytes())
    assert (shot_width, shot_height) == (width, height)
    return pixels
