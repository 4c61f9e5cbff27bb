from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import User
from core.errors import Conflict, InvalidInput, NotAllowed
from core.events import publish
from reviews.events import ReviewCreated
from reviews.models import RATING_MAX, RATING_MIN, Review
from support.models import ExpertProfile, RequestEventKind, RequestStatus
from support.selectors import request_get_visible
from support.timeline import request_event_record


@transaction.atomic
def review_create(*, request_id: UUID, reviewer: User, rating: int, comment: str = "") -> Review:
    """The requester rates the expert of a CLOSED request, once; the expert's rating follows in
    the same transaction."""
    request = request_get_visible(request_id=request_id, user=reviewer)
    if request.requester_id != reviewer.pk:
        raise NotAllowed("Only the requester may review a request.")
    # CLOSED is final, so this check cannot go stale before the insert below.
    if request.status != RequestStatus.CLOSED:
        raise Conflict("Only a closed request can be reviewed.")
    if (
        isinstance(rating, bool)
        or not isinstance(rating, int)
        or not RATING_MIN <= rating <= RATING_MAX
    ):
        raise InvalidInput(f"The rating must be an integer from {RATING_MIN} to {RATING_MAX}.")
    assert request.expert_id is not None  # a CLOSED request always has its expert
    try:
        # A savepoint, so a lost race on the one-review-per-request constraint leaves the outer
        # transaction usable and turns into a 409 instead of a 500.
        with transaction.atomic():
            review = Review.objects.create(
                request=request,
                expert_id=request.expert_id,
                reviewer=reviewer,
                rating=rating,
                comment=comment,
            )
    except IntegrityError:
        raise Conflict("This request has already been reviewed.") from None
    _expert_rating_add(expert_id=request.expert_id, rating=rating)
    request_event_record(
        request_id=request.pk,
        event=RequestEventKind.REVIEWED,
        actor=reviewer,
        detail={"rating": rating},
    )
    publish(ReviewCreated(review=review))
    return review


def _expert_rating_add(*, expert_id: UUID, rating: int) -> None:
    # One UPDATE adds to the sum and the count: the database applies concurrent reviews one after
    # the other, so none is lost. That UPDATE also locks the row until commit, so the average
    # computed from the row as it now is cannot be overtaken by another review.
    profiles = ExpertProfile.objects.filter(user_id=expert_id)
    profiles.update(rating_sum=F("rating_sum") + rating, rating_count=F("rating_count") + 1)
    rating_sum, rating_count = profiles.values_list("rating_sum", "rating_count").get()
    average = (Decimal(rating_sum) / Decimal(rating_count)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    profiles.update(rating_avg=average)
