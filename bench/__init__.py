"""Load benchmark for the chat path: `python -m bench <scenario>` (see docs/performance.md)."""
