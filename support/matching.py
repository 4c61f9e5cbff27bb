"""Expert matching. (Being written: see the support issue.)"""

from uuid import UUID


def expert_became_eligible(*, expert_id: UUID) -> list:
    """Give the oldest waiting requests this expert can take to them, up to capacity."""
    return []
