"""Checking the AsyncAPI document against the specification, and frames against the document."""

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT7

SPEC = Path(__file__).with_name("asyncapi_spec") / "asyncapi-3.0.0.json"
# Where the document is filed in a validator's registry, so payload schemas can $ref into it.
DOCUMENT_URI = "urn:expert-support:asyncapi"


@cache
def specification() -> Draft7Validator:
    """A validator of AsyncAPI 3.0.0 documents (the official JSON Schema, see asyncapi_spec/)."""
    return Draft7Validator(json.loads(SPEC.read_text()))


def message_names(document: dict[str, Any], action: str) -> list[str]:
    """The messages of every operation with this action ("receive": client frames, "send":
    server frames), in document order, repeats included."""
    return [
        reference["$ref"].rsplit("/", 1)[-1]
        for operation in document["operations"].values()
        if operation["action"] == action
        for reference in operation["messages"]
    ]


def payload_type(document: dict[str, Any], message: str) -> str:
    """The `type` a message's frames carry."""
    return document["components"]["messages"][message]["payload"]["properties"]["type"]["const"]


class FrameChecker:
    """Validates frames against the payload schema of their message in the document, formats
    (uuid, date-time) included."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._registry: Registry[Any] = Registry().with_resource(
            DOCUMENT_URI, DRAFT7.create_resource(document)
        )
        self._client = self._by_type("receive")
        self._server = self._by_type("send")

    def _by_type(self, action: str) -> dict[str, str]:
        return {
            payload_type(self.document, name): name for name in message_names(self.document, action)
        }

    def validator(self, message: str) -> Draft7Validator:
        return Draft7Validator(
            {"$ref": f"{DOCUMENT_URI}#/components/messages/{message}/payload"},
            registry=self._registry,
            # Every format jsonschema knows: draft 7's own checker has no "uuid".
            format_checker=FormatChecker(),
        )

    def client_errors(self, frame: dict[str, Any]) -> list[str]:
        return self._errors(self._client, frame)

    def server_errors(self, frame: dict[str, Any]) -> list[str]:
        return self._errors(self._server, frame)

    def _errors(self, messages: dict[str, str], frame: dict[str, Any]) -> list[str]:
        message = messages.get(str(frame.get("type")))
        if message is None:
            return [f"no message for type {frame.get('type')!r}"]
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(frame)'}: {error.message}"
            for error in self.validator(message).iter_errors(frame)
        ]
