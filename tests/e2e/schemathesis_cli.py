"""`st` (the schemathesis command line), with one guard for a bug of CPython 3.11 itself.

Hypothesis describes the lambdas in its strategies by parsing their source with `ast.parse`.
Deep inside the recursive strategies that generate arbitrary JSON, CPython 3.11 (before 3.12)
can fail that parse with "SystemError: AST constructor recursion depth mismatch" — a bug of the
interpreter's AST builder, not of the schema or the server — and the whole run stops with a
runtime error. A description is only used for display, so this falls back to a generic one.
Run as `python -m tests.e2e.schemathesis_cli run …`, the same arguments as `st`.
"""

import sys
from typing import Any

from hypothesis.internal import lambda_sources
from schemathesis.cli import schemathesis

_describe = lambda_sources._lambda_description


def _lambda_description(f: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return _describe(f, *args, **kwargs)
    except SystemError:
        return "lambda: <unknown>"


lambda_sources._lambda_description = _lambda_description

if __name__ == "__main__":
    sys.exit(schemathesis())
