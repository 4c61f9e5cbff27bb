"""Request and response shapes for the accounts API. Rules live in services."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ExpertProfile, Role, Skill, User
from accounts.services import MAX_ACTIVE_REQUESTS_LIMIT

NAME_MAX = User._meta.get_field("name").max_length
BIO_MAX = ExpertProfile._meta.get_field("bio").max_length
SKILL_NAME_MAX = Skill._meta.get_field("name").max_length


# --- Output ---------------------------------------------------------------------------------
class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name"]


class ExpertProfileSerializer(serializers.ModelSerializer):
    skills = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    rating_avg = serializers.FloatField(read_only=True)

    class Meta:
        model = ExpertProfile
        fields = ["bio", "skills", "is_available", "max_active_requests", "rating_avg"]
        fields += ["rating_count"]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    """A user as they see themselves; `expert` is null unless they are an expert."""

    expert = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "is_online", "last_seen_at", "expert"]
        read_only_fields = fields

    @extend_schema_field(ExpertProfileSerializer(allow_null=True))
    def get_expert(self, user: User) -> dict | None:
        profile = getattr(user, "expert_profile", None) if user.role == Role.EXPERT else None
        return ExpertProfileSerializer(profile).data if profile is not None else None


class ExpertSerializer(serializers.ModelSerializer):
    """An entry of the experts directory (expects `experts_visible()` annotations)."""

    bio = serializers.CharField(source="expert_profile.bio", read_only=True)
    skills = serializers.SlugRelatedField(
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


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class AuthResultSerializer(TokenPairSerializer):
    user = UserSerializer()


# --- Input ----------------------------------------------------------------------------------
class RegisterInputSerializer(serializers.Serializer):
    """`role` is deliberately absent: public sign-up only ever creates customers."""

    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=NAME_MAX)


class LoginInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class SkillNameListField(serializers.ListField):
    def __init__(self, **kwargs):
        child = serializers.CharField(max_length=SKILL_NAME_MAX)
        super().__init__(child=child, max_length=50, **kwargs)


class MeUpdateInputSerializer(serializers.Serializer):
    """Everyone may change `name`; the rest is for experts (checked by the service)."""

    name = serializers.CharField(max_length=NAME_MAX, required=False)
    bio = serializers.CharField(max_length=BIO_MAX, required=False, allow_blank=True)
    skills = SkillNameListField(required=False)
    is_available = serializers.BooleanField(required=False)


class ExpertFilterSerializer(serializers.Serializer):
    skill = serializers.CharField(required=False, max_length=SKILL_NAME_MAX)
    online = serializers.BooleanField(required=False, allow_null=True, default=None)
    available = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(required=False, max_length=100)


class ExpertCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=NAME_MAX)
    bio = serializers.CharField(max_length=BIO_MAX, required=False, allow_blank=True, default="")
    skills = SkillNameListField(required=False, default=list)
    max_active_requests = serializers.IntegerField(
        min_value=1, max_value=MAX_ACTIVE_REQUESTS_LIMIT, required=False, default=1
    )
