"""What a frame field's Python type cannot say (a length, a format, a range), said next to it.

A field carries these as `typing.Annotated` metadata: `Annotated[str, json_schema(maxLength=N)]`
is a plain `str` to mypy and to the code that builds frames, and the AsyncAPI generator
(`chat.protocol.asyncapi`) turns the keywords into the field's JSON Schema. The limits are the
same constants the parser enforces, so the document cannot drift from the code.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any


# Compared and hashed by identity (eq=False): typing hashes the metadata of an `Annotated` that
# sits in a union, and the keywords (a dict, lists of values) are not hashable.
@dataclass(frozen=True, slots=True, eq=False)
class JsonSchema:
    """JSON Schema keywords (draft 7) that describe a field beyond its Python type."""

    keywords: Mapping[str, Any]


def json_schema(**keywords: Any) -> JsonSchema:
    return JsonSchema(keywords)


def described_values(meanings: Mapping[str, str]) -> str:
    """A Markdown list of the values a field takes and what each means."""
    return "\n".join(f"- `{value}`: {meaning}" for value, meaning in meanings.items())


# Field kinds shared by both directions.
Uuid = Annotated[str, json_schema(format="uuid")]
Timestamp = Annotated[str, json_schema(format="date-time")]
