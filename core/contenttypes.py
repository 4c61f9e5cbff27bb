"""Migration helpers shared by the apps."""

from collections.abc import Callable
from typing import Any


def move_content_type(
    *, model: str, old_app: str, new_app: str
) -> tuple[Callable[[Any, Any], None], Callable[[Any, Any], None]]:
    """RunPython functions (forwards, backwards) that move a model's content type to the app that
    now holds the model, so its permissions, and the groups and users that have them, stay."""

    def relabel(apps: Any, from_app: str, to_app: str) -> None:
        content_types = apps.get_model("contenttypes", "ContentType").objects
        if content_types.filter(app_label=to_app, model=model).exists():
            return
        content_types.filter(app_label=from_app, model=model).update(app_label=to_app)

    def forwards(apps: Any, schema_editor: Any) -> None:
        relabel(apps, old_app, new_app)

    def backwards(apps: Any, schema_editor: Any) -> None:
        relabel(apps, new_app, old_app)

    return forwards, backwards
