import json

from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from accounts.models import Role, Skill, User
from support.models import RequestStatus, SupportRequest


class PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class SupportRequestSerializer(serializers.ModelSerializer):
    """The request object, the same over REST and in WebSocket frames."""

    skill = serializers.SlugRelatedField(slug_field="name", read_only=True)
    user = PersonSerializer(source="requester")
    expert = PersonSerializer(allow_null=True)

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
        ]
        read_only_fields = fields


def request_as_json(request: SupportRequest) -> dict:
    """The request object as plain JSON types (str UUIDs, ISO timestamps) for channel layers."""
    return json.loads(json.dumps(SupportRequestSerializer(request).data, cls=JSONEncoder))


class RequestCreateSerializer(serializers.Serializer):
    title = serializers.CharField(min_length=1, max_length=200)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    skill = serializers.CharField(max_length=60, required=False, allow_null=True)

    def validate_skill(self, value: str | None) -> str | None:
        if value and not Skill.objects.filter(name__iexact=value).exists():
            raise serializers.ValidationError(f'Unknown skill "{value}".')
        return value or None


class RequestListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RequestStatus.choices, required=False)


class RequestAssignSerializer(serializers.Serializer):
    expert_id = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(
            role=Role.EXPERT, is_active=True, expert_profile__isnull=False
        ),
        error_messages={"does_not_exist": "No active expert with this id."},
    )


class StatsSerializer(serializers.Serializer):
    users = serializers.IntegerField()
    experts = serializers.IntegerField()
    experts_online = serializers.IntegerField()
    requests = serializers.DictField(child=serializers.IntegerField())
    messages = serializers.IntegerField()
    average_rating = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
