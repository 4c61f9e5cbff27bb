"""What a file is, read from its bytes: the client's Content-Type and file name are never asked.

Binary formats are recognised by their signatures (the `filetype` library: pure Python, no
system library to install, maintained, and it knows every type ATTACHMENT_TYPES may name).
Signatures cannot recognise plain text, which has none, so text is checked here: the whole file
must be valid UTF-8 without NUL or other control characters but tab, line feed, form feed and
carriage return — what a text editor writes, and nothing a browser or a terminal could be
tricked by.
"""

import codecs
import re
from collections.abc import Iterator

import filetype
from django.core.files.base import File

TEXT = "text/plain"
# Types detected under another name that are the same thing for our purposes: an animated PNG
# is a PNG to every program that opens one.
_SAME_AS = {"image/apng": "image/png"}
# The file name extension of each detectable type, for the stored file's key.
EXTENSIONS = {kind.mime: kind.extension for kind in filetype.types} | {
    "image/apng": "png",
    TEXT: "txt",
}
# filetype reads at most this much of the start of a file.
_SIGNATURE_BYTES = 8192
_CHUNK_BYTES = 64 * 1024
# Every C0 control but \t \n \f \r, DEL, and the C1 controls (as decoded code points).
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def detect_type(file: File) -> str | None:
    """The file's MIME type, or None when it is neither a known format nor plain text."""
    file.seek(0)
    kind = filetype.guess(file.read(_SIGNATURE_BYTES))
    if kind is not None:
        return _SAME_AS.get(kind.mime, kind.mime)
    file.seek(0)
    return TEXT if is_plain_text(_chunks(file)) else None


def is_plain_text(chunks: Iterator[bytes]) -> bool:
    """Whether the bytes are UTF-8 text without control characters (tab, line feed, form feed
    and carriage return allowed). Reads chunk by chunk: a sequence split between two chunks is
    decoded whole."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        for chunk in chunks:
            if _CONTROL.search(decoder.decode(chunk)):
                return False
        return not _CONTROL.search(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        return False


def _chunks(file: File) -> Iterator[bytes]:
    while chunk := file.read(_CHUNK_BYTES):
        yield chunk
