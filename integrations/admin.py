from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.errors import InvalidInput
from integrations import services
from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEventName


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=WebhookEventName.choices, widget=forms.CheckboxSelectMultiple
    )
    secret = forms.CharField(
        required=False,
        min_length=16,
        help_text="Signs every delivery. Leave empty to keep the current one (or, for a new "
        "endpoint, to have one generated and shown once).",
        widget=forms.PasswordInput(render_value=False),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "secret", "is_active"]

    def clean_url(self) -> str:
        return self._checked(services.endpoint_url_check, self.cleaned_data["url"])

    def clean_events(self) -> list[str]:
        return self._checked(services.endpoint_events_check, self.cleaned_data["events"])

    def _checked(self, check: Any, value: Any) -> Any:
        try:
            return check(value)
        except InvalidInput as exc:
            raise forms.ValidationError(
                [message for messages in (exc.fields or {}).values() for message in messages]
            ) from None


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "events", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        secret = form.cleaned_data.get("secret")
        if secret:
            obj.secret = secret
        elif not change:
            obj.secret = services.new_secret()
            messages.warning(request, f"The endpoint's secret, shown only this once: {obj.secret}")
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event_name",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "run_after",
        "created_at",
    ]
    list_filter = ["status", "event__event", "endpoint"]
    list_select_related = ["event", "endpoint"]
    show_full_result_count = False
    actions = ["redeliver"]
    readonly_fields = [
        "delivery_id",
        "endpoint",
        "event",
        "ordering_key",
        "status",
        "attempts",
        "run_after",
        "last_status_code",
        "last_error",
        "finished_at",
        "created_at",
        "payload",
    ]
    fields = tuple(readonly_fields)

    @admin.display(description="event")
    def event_name(self, delivery: WebhookDelivery) -> str:
        return delivery.event.event

    @admin.display(description="payload")
    def payload(self, delivery: WebhookDelivery) -> Any:
        return delivery.event.data

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Redeliver the selected deliveries' events")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = services.deliveries_redeliver(delivery_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} delivery(ies) queued again.", messages.SUCCESS)
