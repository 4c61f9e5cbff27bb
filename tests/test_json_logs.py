"""LOG_FORMAT=json: each record is one JSON object with the ids of the request or socket it was
written for, and never a query string (which may carry a token)."""

import json
import logging
import sys
from typing import cast

from django.conf import settings
from django.test import RequestFactory
from django.utils.module_loading import import_string

from config.log_filters import LogContext
from core import log_context


def json_line(record: logging.LogRecord) -> dict:
    formatters = cast(dict[str, dict], settings.LOGGING["formatters"])
    options = dict(formatters["json"])
    formatter = import_string(options.pop("()"))(**options)
    LogContext().filter(record)
    return json.loads(formatter.format(record))


def record(message: str = "something happened", **extra) -> logging.LogRecord:
    made = logging.LogRecord("chat.consumer.chat", logging.WARNING, __file__, 1, message, (), None)
    made.__dict__.update(extra)
    return made


def test_a_line_written_for_a_request_carries_its_id():
    bound = log_context.request_id.set("9f1c2e")
    try:
        line = json_line(record())
    finally:
        log_context.request_id.reset(bound)

    assert line["request_id"] == "9f1c2e"
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "chat.consumer.chat",
        "something happened",
    )
    assert "time" in line
    assert "socket_id" not in line


def test_a_line_written_for_a_socket_carries_its_socket_and_user_ids():
    socket, user = log_context.socket_id.set("7f3a9c"), log_context.user_id.set("u-1")
    try:
        line = json_line(record())
    finally:
        log_context.socket_id.reset(socket)
        log_context.user_id.reset(user)

    assert (line["socket_id"], line["user_id"]) == ("7f3a9c", "u-1")
    assert "request_id" not in line


def test_a_line_outside_any_request_or_socket_has_no_ids():
    line = json_line(record())

    assert not {"request_id", "socket_id", "user_id"} & line.keys()


def test_the_request_django_passes_with_its_error_lines_is_not_written():
    request = RequestFactory().get("/api/requests/?token=eyJ.secret.sig")

    line = json_line(record("Internal Server Error: /api/requests/", request=request))

    assert "secret" not in json.dumps(line)
    assert "request" not in line


def fail() -> None:
    raise ValueError("boom")


def test_an_exception_is_written_with_its_traceback_in_the_line():
    try:
        fail()
    except ValueError:
        failed = record(exc_info=sys.exc_info())

    line = json_line(failed)

    assert "ValueError: boom" in line["exc_info"]
