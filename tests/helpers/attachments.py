"""Files for the attachment tests: the smallest real ones of each kind, and how to upload them."""

import struct
import zlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


# A 1x1 pixel PNG.
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    + _png_chunk(b"IEND", b"")
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00" + b"\x00" * 14
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = "Printer log\r\n\tline 2 — ünïcödé ✓\f\n".encode()
# Not allowed by default: a ZIP archive (detected), an ELF program (detected) and bytes of no
# known kind that are not text either.
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
BINARY = bytes(range(256))


def upload_url(request: Any) -> str:
    return reverse("request-attachments", kwargs={"request_id": request.pk})


def upload(client: Any, request: Any, content: bytes = PNG, name: str = "shot.png", **extra):
    """POST a file as multipart/form-data, the way a browser's FormData does."""
    file = SimpleUploadedFile(name, content, content_type=extra.pop("content_type", "image/png"))
    return client.post(upload_url(request), {"file": file}, format="multipart", **extra)


def stored_files() -> list[Path]:
    """Every file under MEDIA_ROOT (a fresh directory per test)."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []
