"""/console/ serves one page; its scripts and styles come from the project's static files."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders

# `import ... from "./api.js"` and `<script src="/static/console/console.js">`.
MODULE_IMPORT = re.compile(r'\bfrom "(\.{1,2}/[^"]+)"')
STATIC_REFERENCE = re.compile(r'(?:src|href)="/static/([^"]+)"')


def test_the_console_page_loads_its_scripts_as_modules_and_nothing_from_elsewhere(client):
    response = client.get("/console/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert '<script type="module" src="/static/console/console.js">' in page
    assert sorted(STATIC_REFERENCE.findall(page)) == ["console/console.css", "console/console.js"]
    assert "http://" not in page
    assert "https://" not in page


def test_the_page_may_run_only_its_own_scripts_and_talk_only_to_its_own_server(client):
    policy = client.get("/console/")["Content-Security-Policy"]

    directives = dict(directive.split(" ", 1) for directive in policy.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["connect-src"] == "'self' ws://testserver"
    assert directives["frame-ancestors"] == "'none'"


def test_the_socket_origin_follows_https(client):
    policy = client.get("/console/", secure=True)["Content-Security-Policy"]

    assert "connect-src 'self' wss://testserver;" in policy


def test_the_console_page_is_read_only(client):
    assert client.post("/console/").status_code == 405


def test_every_module_the_console_imports_is_served():
    """A module that is missing or misspelled stops the page in the browser; this catches it
    without one."""
    seen: set[str] = set()
    waiting = ["console/console.js"]
    while waiting:
        name = waiting.pop()
        if name in seen:
            continue
        seen.add(name)
        path = finders.find(name)
        assert path, f"{name} is imported but is not a static file"
        folder = name.rsplit("/", 1)[0]
        imports = MODULE_IMPORT.findall(Path(path).read_text(encoding="utf-8"))
        waiting.extend(_join(folder, relative) for relative in imports)
    assert {"console/api.js", "console/session.js", "console/socket.js"} <= seen


def _join(folder: str, relative: str) -> str:
    parts = folder.split("/")
    for part in relative.split("/"):
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)
