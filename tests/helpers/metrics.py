"""Reading this process's Prometheus metrics in tests."""

from prometheus_client import REGISTRY


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Moves:
    """The change of one metric sample between two moments of a test."""

    def __init__(self, name: str, **labels: str) -> None:
        self.name, self.labels = name, labels
        self.before = value(name, **labels)

    @property
    def by(self) -> float:
        return value(self.name, **self.labels) - self.before
