from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from core.keyset import InvalidCursor, decode_cursor, keyset_page
from core.pages import EstimatedCountPaginator

CURSOR_PARAM = "cursor"
MODE_PARAM = "pagination"


class PageNumberPagination(pagination.PageNumberPagination):
    """Numbered pages (`page`, `page_size`), and on the lists that can grow without bound
    (views with `keyset_pagination = True`) cursor pages as well: `?pagination=cursor` for the
    first, then each answer's `next` and `previous`. A cursor page costs the same wherever it is
    in the list; a numbered page costs more the deeper it is.

    `count` is exact, except for an unfiltered list of more than 100,000 rows on PostgreSQL,
    where it is the database's estimate (an exact count would read every row on every call);
    `next` is always exact."""

    django_paginator_class = EstimatedCountPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        self.cursor_mode = False
        params = request.query_params
        cursor = params.get(CURSOR_PARAM, "")
        mode = params.get(MODE_PARAM, "")
        if not cursor and mode in ("", "page"):
            return super().paginate_queryset(queryset, request, view)
        if mode not in ("", "page", "cursor"):
            raise serializers.ValidationError({MODE_PARAM: ['"page" (the default) or "cursor".']})
        if not getattr(view, "keyset_pagination", False):
            raise serializers.ValidationError(
                {CURSOR_PARAM: ["This list is paged by number only (page, page_size)."]}
            )
        if params.get(self.page_query_param):
            raise serializers.ValidationError(
                {CURSOR_PARAM: ["Give either page or cursor, not both."]}
            )
        return self._cursor_page(queryset, request, cursor)

    def _cursor_page(self, queryset: QuerySet[Any], request: Request, cursor: str) -> list[Any]:
        size = self.get_page_size(request) or self.page_size
        try:
            position = decode_cursor(queryset, cursor) if cursor else None
            page = keyset_page(queryset, position=position, size=size)
        except InvalidCursor as error:
            raise serializers.ValidationError({CURSOR_PARAM: [str(error)]}) from error
        self.cursor_mode = True
        self.request = request
        self.cursor_count = EstimatedCountPaginator(queryset, size).count
        url = remove_query_param(request.build_absolute_uri(), MODE_PARAM)
        self.cursor_links = {
            link: replace_query_param(url, CURSOR_PARAM, value) if value else None
            for link, value in (("next", page.next), ("previous", page.previous))
        }
        return page.rows

    def get_paginated_response(self, data: Any) -> Response:
        if not self.cursor_mode:
            return super().get_paginated_response(data)
        return Response(
            {
                "count": self.cursor_count,
                "next": self.cursor_links["next"],
                "previous": self.cursor_links["previous"],
                "results": data,
            }
        )

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        if not getattr(view, "keyset_pagination", False):
            return parameters
        return [
            *parameters,
            {
                "name": MODE_PARAM,
                "required": False,
                "in": "query",
                "description": "`cursor`: page by cursor from the start of the list; the "
                "answer's `next` and `previous` then carry the cursor of the pages beside it. "
                "Cursor pages cost the same however deep they are.",
                "schema": {"type": "string", "enum": ["page", "cursor"]},
            },
            {
                "name": CURSOR_PARAM,
                "required": False,
                "in": "query",
                "description": "Opaque: the position of a page, from a `next` or `previous` "
                "link. Not with `page`.",
                "schema": {"type": "string"},
            },
        ]

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # DRF writes OpenAPI 3.0's `nullable`; the schema is OpenAPI 3.1, where null is a type.
        page_schema: dict[str, Any] = super().get_paginated_response_schema(schema)
        for link in ("next", "previous"):
            field = page_schema["properties"][link]
            field.pop("nullable", None)
            field["type"] = ["string", "null"]
        page_schema["properties"]["count"]["description"] = (
            "How many results there are: exact, except for an unfiltered list of more than "
            "100,000 rows, where it is the database's estimate. `next` is always exact."
        )
        return page_schema
