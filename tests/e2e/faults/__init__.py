"""Fault injection for the end-to-end tests (SPEC part 2, "Reliability"): throwaway PostgreSQL
and Redis servers a test may stop, crash and restart, chat clients that reconnect and resend as
docs/websocket.md tells clients to, and the scenarios that break things while pairs chat."""
