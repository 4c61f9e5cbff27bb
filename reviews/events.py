"""What reviews announces (core.events publishes it; integrations subscribes)."""

from dataclasses import dataclass

from reviews.models import Review


@dataclass(frozen=True)
class ReviewCreated:
    """A requester reviewed their expert (published inside the review's transaction)."""

    review: Review
