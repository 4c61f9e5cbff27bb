"""Schema components with no serializer behind them. Settings import this module, so it imports
nothing of the project (and no Django app)."""

FIELD_ERRORS_COMPONENT = {
    "type": "object",
    "description": 'Invalid input, field by field: `{"<field>": ["<message>", ...]}` '
    "(`non_field_errors` for what concerns several fields; a list field's errors are keyed by "
    "position).",
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]
    },
}
