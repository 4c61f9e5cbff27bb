"""The OpenAPI schema: drf-spectacular's, plus the error answers every operation can give.

SPEC: every operation documents its 4xx answers with the error body. Which ones an operation
can give follows from how it is built (authentication, role, path parameters, request body),
so they are added here once instead of on every view; views add the ones only their rules
know (409 on a state change, 429 on sign-in) with core.api.error_answer.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated

from core.api import ErrorSerializer

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# A bad page is a 404 and a bad page size falls back to the default: neither is a 400.
_PAGINATION = {"page", "page_size"}


class ApiAutoSchema(AutoSchema):
    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_parameters()
        for parameter in parameters:
            # DRF reads an empty query value as a missing one (`?status=` lists everything);
            # only an empty `page` is refused (404, no such page).
            if parameter.get("in") == "query" and parameter.get("name") != "page":
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for status, description in self._error_answers():
            if status not in responses:
                responses[status] = self._error_response(status, description)
        return responses

    def _error_answers(self) -> list[tuple[str, str]]:
        if self.view.__class__.__name__ == "TmpView":
            # A webhook (drf-spectacular's stand-in view for it): the receiver's side, whose
            # answers the webhook itself describes.
            return []
        answers = []
        has_body = self.method in _UNSAFE and self.get_request_serializer() is not None
        takes_query = any(
            p.get("in") == "query" and p.get("name") not in _PAGINATION
            for p in self._get_parameters()
        )
        if has_body or takes_query:
            answers.append(("400", "Invalid input: field errors, or a malformed body."))
        if self._needs_authentication():
            answers.append(("401", "No access token, or an invalid or expired one."))
        if self._may_refuse_role() or self._checks_csrf():
            answers.append(
                ("403", "Your role may not do this (or a session without a CSRF token).")
            )
        if "{" in self.path or self._is_paginated():
            answers.append(("404", "No such object, not yours to see, or no such page."))
        if has_body:
            answers.append(("413", "The request body is too large."))
            answers.append(("415", "The body is not JSON (or form data)."))
        return answers

    def _error_response(self, status: str, description: str) -> dict[str, Any]:
        if status == "400":
            schema = {
                "anyOf": [
                    {"$ref": "#/components/schemas/FieldErrors"},
                    self.resolve_serializer(ErrorSerializer, "response").ref,
                ]
            }
            return {"content": {"application/json": {"schema": schema}}, "description": description}
        answer: dict[str, Any] = self._get_response_for_code(ErrorSerializer(), status)
        answer["description"] = description
        return answer

    def _needs_authentication(self) -> bool:
        return not any(isinstance(p, AllowAny) for p in self.view.get_permissions())

    def _may_refuse_role(self) -> bool:
        ordinary = (AllowAny, IsAuthenticated)
        return any(not isinstance(p, ordinary) for p in self.view.get_permissions())

    def _checks_csrf(self) -> bool:
        """A signed-in browser session must send its CSRF token with every change."""
        return self.method in _UNSAFE and any(
            isinstance(a, SessionAuthentication) for a in self.view.get_authenticators()
        )

    def _is_paginated(self) -> bool:
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
