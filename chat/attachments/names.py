"""File names: the client's, cleaned up for display, and the one a download is saved under.

The client's name never reaches the storage (its key is made up by the server), but it is shown
to the other participant and offered to their browser as the file's name, so it loses anything
that could mislead there: folders, control and formatting characters (a right-to-left override
turns `cod.exe` into what looks like `exe.doc`), runs of whitespace, excess length.
"""

import unicodedata

from chat.attachments.detection import EXTENSIONS, TEXT
from chat.models import ATTACHMENT_NAME_MAX_CHARS

FALLBACK_NAME = "file"
# How long an extension may be for `shorten` to keep it when it cuts a name.
_EXTENSION_MAX_CHARS = 16
# Extensions a download may keep for its detected type, besides the type's own (EXTENSIONS).
_ALSO_FINE = {
    "image/jpeg": {"jpeg", "jpe", "jfif"},
    "image/tiff": {"tif"},
    TEXT: {"text", "log", "md", "csv"},
}


def display_name(raw: str | None) -> str:
    """The client's file name without folders, control or formatting characters and extra
    whitespace, at most ATTACHMENT_NAME_MAX_CHARS long; "file" when nothing is left."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    # Category C: controls, formatting (bidi overrides, zero-width), surrogates, private use
    # and unassigned code points.
    name = "".join(
        " " if char.isspace() else char
        for char in name
        if char.isspace() or not unicodedata.category(char).startswith("C")
    )
    name = " ".join(name.split())
    if name in {"", ".", ".."}:
        return FALLBACK_NAME
    return shorten(name, ATTACHMENT_NAME_MAX_CHARS)


def shorten(name: str, limit: int) -> str:
    """`name` cut to `limit` characters, keeping its extension when it has a short one."""
    if len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and len(extension) <= _EXTENSION_MAX_CHARS:
        return f"{stem[: limit - len(extension) - 1]}.{extension}"
    return name[:limit]


def download_name(name: str, content_type: str) -> str:
    """The name a download is saved under: the display name, with the detected type's extension
    added when its own says otherwise, so that a text file called `page.html` is saved as
    `page.html.txt` and never opened as a web page from the user's disk."""
    extension = EXTENSIONS.get(content_type)
    if extension is None:
        return name
    current = name.rpartition(".")[2].lower() if "." in name else ""
    if current == extension or current in _ALSO_FINE.get(content_type, set()):
        return name
    return f"{name}.{extension}"
