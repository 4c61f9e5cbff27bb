from typing import Any

from rest_framework import pagination

from core.pages import EstimatedCountPaginator


class PageNumberPagination(pagination.PageNumberPagination):
    """Numbered pages. `count` is exact, except for an unfiltered list of more than 100,000 rows
    on PostgreSQL, where it is the database's estimate (an exact count would read every row on
    every call); `next` is always exact."""

    django_paginator_class = EstimatedCountPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

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
