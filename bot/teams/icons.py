"""The two Teams app icons, drawn as PNG with the standard library (zlib + struct).

Teams wants a 192x192 full-colour icon and a 32x32 outline icon: white on transparent.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

Pixel = tuple[int, int, int, int]  # RGBA
ACCENT = (0x46, 0x5E, 0xA6)
WHITE = (255, 255, 255)


def png(size: int, paint: Callable[[float, float], Pixel]) -> bytes:
    """A square RGBA PNG; `paint(x, y)` gets coordinates from 0 to 1."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(paint((x + 0.5) / size, (y + 0.5) / size)) for x in range(size))
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _ticket(x: float, y: float) -> bool:
    """A ticket stub: a rounded card with a notch on each side, centred."""
    inside = 0.22 <= x <= 0.78 and 0.30 <= y <= 0.70
    notch = (x - 0.22) ** 2 + (y - 0.5) ** 2 < 0.006 or (x - 0.78) ** 2 + (y - 0.5) ** 2 < 0.006
    return inside and not notch


def color_icon() -> bytes:
    return png(192, lambda x, y: (*WHITE, 255) if _ticket(x, y) else (*ACCENT, 255))


def outline_icon() -> bytes:
    def paint(x: float, y: float) -> Pixel:
        edge = _ticket(x, y) and not _ticket((x - 0.5) * 1.25 + 0.5, (y - 0.5) * 1.4 + 0.5)
        return (*WHITE, 255) if edge else (0, 0, 0, 0)

    return png(32, paint)
