"""The pieces of an upload's checks on their own: display names, download names, plain text."""

import pytest

from chat.attachments.detection import is_plain_text
from chat.attachments.names import display_name, download_name


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("report.pdf", "report.pdf"),
        ("/home/ann/report.pdf", "report.pdf"),
        ("C:\\Users\\ann\\report.pdf", "report.pdf"),
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ("zero\u200bwidth\u202eflip.txt", "zerowidthflip.txt"),
        ("\x01\x02", "file"),
        ("", "file"),
        (None, "file"),
        ("..", "file"),
        ("a/..", "file"),
        ("é" * 300, "é" * 255),
        ("n" * 300 + ".pdf", "n" * 251 + ".pdf"),
    ],
)
def test_display_names_lose_folders_controls_and_excess(raw, shown):
    assert display_name(raw) == shown


@pytest.mark.parametrize(
    ("name", "content_type", "saved_as"),
    [
        ("shot.png", "image/png", "shot.png"),
        ("photo.JPEG", "image/jpeg", "photo.JPEG"),
        ("page.html", "text/plain", "page.html.txt"),
        ("notes.md", "text/plain", "notes.md"),
        ("cat.png", "application/pdf", "cat.png.pdf"),
        ("file", "image/gif", "file.gif"),
    ],
)
def test_a_download_keeps_its_name_only_with_an_extension_of_its_type(name, content_type, saved_as):
    assert download_name(name, content_type) == saved_as


@pytest.mark.parametrize(
    ("chunks", "text"),
    [
        ([b"plain ascii\n"], True),
        (["ünï ✓".encode()[:3], "ünï ✓".encode()[3:]], True),  # a character split in two
        ([b"tab\t cr\r lf\n ff\f"], True),
        ([b"\xef\xbb\xbfwith a BOM"], True),
        ([b"nul\x00"], False),
        ([b"bell\x07"], False),
        ([b"vertical tab\x0b"], False),
        ([b"del\x7f"], False),
        (["c1 \u0085".encode()], False),
        ([b"latin-1 \xe9t\xe9"], False),
        (["cut ✓".encode()[:-1]], False),  # ends inside a character
    ],
)
def test_plain_text_is_utf8_without_control_characters(chunks, text):
    assert is_plain_text(iter(chunks)) is text
