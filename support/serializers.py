"""Request and response shapes for the support API. Rules live in services."""

import json
from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from accounts.models import SKILL_NAME_MAX_CHARS, USER_NAME_MAX_CHARS, Skill, User
from accounts.serializers import AccountSerializer, SkillNameListField
from support.models import (
    BIO_MAX_CHARS,
    DESCRIPTION_MAX_CHARS,
    MAX_ACTIVE_REQUESTS_LIMIT,
    TITLE_MAX_CHARS,
    ExpertProfile,
    RequestEvent,
    RequestStatus,
    SupportRequest,
)


# --- Users and experts ------------------------------------------------------------------------
class ExpertProfileSerializer(serializers.ModelSerializer[ExpertProfile]):
    skills = serializers.SlugRelatedField[Skill](slug_field="name", many=True, read_only=True)
    rating_avg = serializers.FloatField(read_only=True)

    class Meta:
        model = ExpertProfile
        fields = ["bio", "skills", "is_available", "max_active_requests", "rating_avg"]
        fields += ["rating_count"]
        read_only_fields = fields


# The user object of me/, sign-up and sign-in (settings.USER_SERIALIZER points accounts here).
class UserSerializer(AccountSerializer):
    """A user as they see themselves; `expert` is null unless they are an expert."""

    expert = serializers.SerializerMethodField()

    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "expert"]
        read_only_fields = fields

    @extend_schema_field(ExpertProfileSerializer(allow_null=True))
    def get_expert(self, user: User) -> dict[str, Any] | None:
        profile = getattr(user, "expert_profile", None) if user.is_expert else None
        return ExpertProfileSerializer(profile).data if profile is not None else None


class ExpertSerializer(serializers.ModelSerializer[User]):
    """An entry of the experts directory (expects `experts_visible()` annotations)."""

    bio = serializers.CharField(source="expert_profile.bio", read_only=True)
    skills = serializers.SlugRelatedField[Skill](
        source="expert_profile.skills", slug_field="name", many=True, read_only=True
    )
    is_available = serializers.BooleanField(source="expert_profile.is_available", read_only=True)
    max_active_requests = serializers.IntegerField(
        source="expert_profile.max_active_requests", read_only=True
    )
    active_requests = serializers.IntegerField(read_only=True)
    rating_avg = serializers.FloatField(source="expert_profile.rating_avg", read_only=True)
    rating_count = serializers.IntegerField(source="expert_profile.rating_count", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name", "bio", "skills", "is_online", "is_available"]
        fields += ["max_active_requests", "active_requests", "rating_avg", "rating_count"]
        read_only_fields = fields


class MeUpdateInputSerializer(serializers.Serializer):
    """Everyone may change `name` and `email_notifications`; the rest is for experts (checked by
    the service)."""

    name = serializers.CharField(max_length=USER_NAME_MAX_CHARS, required=False)
    bio = serializers.CharField(max_length=BIO_MAX_CHARS, required=False, allow_blank=True)
    skills = SkillNameListField(required=False)
    is_available = serializers.BooleanField(required=False)
    email_notifications = serializers.BooleanField(required=False)


class ExpertFilterSerializer(serializers.Serializer):
    skill = serializers.CharField(required=False, max_length=SKILL_NAME_MAX_CHARS)
    online = serializers.BooleanField(required=False, allow_null=True, default=None)
    available = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(required=False, max_length=100)


class ExpertCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=USER_NAME_MAX_CHARS)
    bio = serializers.CharField(
        max_length=BIO_MAX_CHARS, required=False, allow_blank=True, default=""
    )
    skills = SkillNameListField(required=False, default=list)
    max_active_requests = serializers.IntegerField(
        min_value=1, max_value=MAX_ACTIVE_REQUESTS_LIMIT, required=False, default=1
    )


# --- Requests ---------------------------------------------------------------------------------
class PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class ReadSeqsSerializer(serializers.Serializer):
    """How far each participant has read: the seq of the newest message they read."""

    user = serializers.IntegerField(source="requester_read_seq", min_value=0)
    expert = serializers.IntegerField(source="expert_read_seq", min_value=0)


class SupportRequestSerializer(serializers.ModelSerializer[SupportRequest]):
    """The request object, the same in WebSocket frames (RequestData) and over REST, where
    `UserRequestSerializer` adds what depends on who asks."""

    skill = serializers.SlugRelatedField[Skill](slug_field="name", read_only=True, allow_null=True)
    user = PersonSerializer(source="requester")
    expert = PersonSerializer(allow_null=True)
    read_seqs = ReadSeqsSerializer(source="*", read_only=True)

    class Meta:
        model = SupportRequest
        fields = [
            "id",
            "title",
            "description",
            "skill",
            "status",
            "user",
            "expert",
            "created_at",
            "accepted_at",
            "closed_at",
            "last_seq",
            "read_seqs",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="SupportRequest")
class UserRequestSerializer(SupportRequestSerializer):
    """The request object as the REST API answers it: with `unread_count`, the messages from
    the other participant the caller has not read (0 for staff who do not take part). Needs the
    caller as context["request"].user."""

    unread_count = serializers.SerializerMethodField()

    class Meta(SupportRequestSerializer.Meta):
        fields = [*SupportRequestSerializer.Meta.fields, "unread_count"]
        read_only_fields = fields

    def get_unread_count(self, request: SupportRequest) -> int:
        return request.unread_count_for(self.context["request"].user)


def request_as_json(request: SupportRequest) -> dict[str, Any]:
    """The request object as plain JSON types (str UUIDs, ISO timestamps) for channel layers."""
    data: dict[str, Any] = json.loads(
        json.dumps(SupportRequestSerializer(request).data, cls=JSONEncoder)
    )
    return data


class RequestCreateSerializer(serializers.Serializer):
    title = serializers.CharField(min_length=1, max_length=TITLE_MAX_CHARS)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_CHARS, allow_blank=True, required=False
    )
    # Checked against the known skills by the service (400 naming this field).
    skill = serializers.CharField(max_length=SKILL_NAME_MAX_CHARS, required=False, allow_null=True)


class RequestListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RequestStatus.choices, required=False)
    unread = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only requests with messages you have not read; false: only the others.",
    )


def _active_expert_field(**options: Any) -> serializers.PrimaryKeyRelatedField[User]:
    return serializers.PrimaryKeyRelatedField(
        queryset=User.objects.experts().filter(is_active=True, expert_profile__isnull=False),
        error_messages={"does_not_exist": "No active expert with this id."},
        **options,
    )


class RequestAssignSerializer(serializers.Serializer):
    expert_id = _active_expert_field()


class RequestTransferSerializer(serializers.Serializer):
    expert_id = _active_expert_field(
        required=False,
        allow_null=True,
        help_text="The expert to hand the request to. Omitted or null: back to the queue, "
        "where matching looks for anyone but the current expert.",
    )


class RequestEventSerializer(serializers.ModelSerializer[RequestEvent]):
    """One entry of a request's timeline. `actor` is null when the system acted (matching, a
    timeout); `detail` depends on `event` (docs/requests.md)."""

    actor = PersonSerializer(allow_null=True)
    detail = serializers.DictField()

    class Meta:
        model = RequestEvent
        fields = ["at", "event", "actor", "detail"]
        read_only_fields = fields
