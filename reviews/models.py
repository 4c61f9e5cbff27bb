from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# A rating is a whole number of stars; the comment is at most this many characters.
RATING_MIN, RATING_MAX = 1, 5
COMMENT_MAX_CHARS = 2000


class Review(models.Model):
    request = models.OneToOneField(
        "support.SupportRequest", on_delete=models.CASCADE, related_name="review"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_received"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_written"
    )
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(max_length=COMMENT_MAX_CHARS, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["expert", "-created_at"], name="review_expert_newest"),
            # Django admin's list of every review, newest first.
            models.Index(fields=["-created_at", "-id"], name="review_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX),
                name="review_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.expert_id}"
