from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from chat.protocol_apis import AsyncApiJsonApi, AsyncApiYamlApi
from config import http
from config.health import healthz, live
from config.metrics import metrics
from config.stats import StatsApi

api_patterns: list[URLPattern | URLResolver] = [
    path("", http.ApiIndexApi.as_view(), name="api-index"),
    path("", include("accounts.urls")),
    path("", include("support.urls")),
    path("", include("chat.urls")),
    path("", include("reviews.urls")),
    path("", include("integrations.urls")),
    path("admin/stats/", StatsApi.as_view(), name="admin-stats"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html"),
        name="redoc",
    ),
    path("asyncapi.json", AsyncApiJsonApi.as_view(), name="asyncapi-json"),
    path("asyncapi.yaml", AsyncApiYamlApi.as_view(), name="asyncapi-yaml"),
    # Last: every other /api/ path answers JSON (see config.http.api_not_found).
    re_path(r"^(?P<unmatched>.*)$", http.api_not_found),
]

urlpatterns = [
    path("", http.ApiIndexApi.as_view(), name="index"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("healthz", healthz, name="healthz"),
    path("healthz/live", live, name="healthz-live"),
    path("metrics", metrics, name="metrics"),
    path("console/", include("console.urls")),
]

# Django's own error pages, as JSON under /api/.
handler400 = http.bad_request
handler403 = http.permission_denied
handler404 = http.page_not_found
handler500 = http.server_error
