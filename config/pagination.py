from typing import Any

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
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
        return page_schema
