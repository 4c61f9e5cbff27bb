import factory
from django.utils import timezone

from accounts.models import Role, Skill, User
from chat.models import Message
from reviews.models import Review
from support.models import ExpertProfile, RequestStatus, SupportRequest

TEST_PASSWORD = "Correct-Horse-Battery-9"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    role = Role.USER
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save_password(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save(update_fields=["password"])


class SkillFactory(factory.django.DjangoModelFactory[Skill]):
    class Meta:
        model = Skill
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"skill-{n}")


class ExpertFactory(UserFactory):
    """A user with role EXPERT and a profile; `profile__...` sets profile fields."""

    email = factory.Sequence(lambda n: f"expert{n}@example.com")
    role = Role.EXPERT
    profile = factory.RelatedFactory(
        "tests.factories.ExpertProfileFactory", factory_related_name="user"
    )


class ExpertProfileFactory(factory.django.DjangoModelFactory[ExpertProfile]):
    class Meta:
        model = ExpertProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(ExpertFactory, profile=None)
    bio = "Seasoned expert."
    is_available = True
    max_active_requests = 1

    @factory.post_generation
    def skills(
        obj: ExpertProfile, create: bool, extracted: list[Skill] | None, **kwargs: object
    ) -> None:
        if create and extracted:
            obj.skills.set(extracted)


class AdminFactory(UserFactory):
    email = factory.Sequence(lambda n: f"admin{n}@example.com")
    role = Role.ADMIN
    is_staff = True


class SupportRequestFactory(factory.django.DjangoModelFactory[SupportRequest]):
    class Meta:
        model = SupportRequest

    requester = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Help needed #{n}")
    description = "Something is broken."
    status = RequestStatus.REQUESTED


class ActiveRequestFactory(SupportRequestFactory):
    expert = factory.SubFactory(ExpertFactory)
    status = RequestStatus.ACTIVE
    accepted_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory[Message]):
    class Meta:
        model = Message

    request = factory.SubFactory(ActiveRequestFactory)
    sender = factory.LazyAttribute(lambda o: o.request.requester)
    seq = factory.Sequence(lambda n: n + 1)
    content = "Hello"


class ReviewFactory(factory.django.DjangoModelFactory[Review]):
    class Meta:
        model = Review

    request = factory.SubFactory(
        ActiveRequestFactory,
        status=RequestStatus.CLOSED,
        closed_at=factory.LazyFunction(timezone.now),
    )
    expert = factory.LazyAttribute(lambda o: o.request.expert)
    reviewer = factory.LazyAttribute(lambda o: o.request.requester)
    rating = 5
