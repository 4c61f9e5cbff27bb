"""The attachment settings are read strictly at start-up (each case in a fresh process)."""

import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers.settings_process import run_with_settings

PROJECT = Path(settings.BASE_DIR)
PRINT = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.ATTACHMENT_MAX_BYTES, ','.join(s.ATTACHMENT_TYPES), s.MEDIA_ROOT, "
    "s.STORAGES['attachments'])"
)


def _python(**env: str) -> subprocess.CompletedProcess:
    return run_with_settings(PRINT, env=env, dropped=("ATTACHMENT_", "MEDIA_ROOT"))


@pytest.mark.skipif((PROJECT / ".env").exists(), reason="a local .env may set them")
def test_the_defaults():
    result = _python()

    assert result.returncode == 0, result.stderr
    max_bytes, types, media_root, storage = result.stdout.split(" ", 3)
    assert max_bytes == str(10 * 1024 * 1024)
    assert types == "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain"
    assert media_root == str(PROJECT / "media")
    assert "FileSystemStorage" in storage


def test_values_from_the_environment():
    result = _python(
        ATTACHMENT_MAX_BYTES="2048",
        ATTACHMENT_TYPES=" application/PDF , application/zip ",
        MEDIA_ROOT="/srv/media",
        ATTACHMENT_STORAGE="storages.backends.s3.S3Storage",
        ATTACHMENT_STORAGE_OPTIONS='{"bucket_name": "b"}',
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("2048 application/pdf,application/zip /srv/media ")
    assert "'BACKEND': 'storages.backends.s3.S3Storage'" in result.stdout
    assert "'OPTIONS': {'bucket_name': 'b'}" in result.stdout


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ATTACHMENT_TYPES": "image/png,application/x-made-up"}, "application/x-made-up"),
        ({"ATTACHMENT_MAX_BYTES": "lots"}, "ATTACHMENT_MAX_BYTES"),
        ({"ATTACHMENT_MAX_BYTES": "0"}, "ATTACHMENT_MAX_BYTES"),
        ({"ATTACHMENT_STORAGE_OPTIONS": "[1]"}, "ATTACHMENT_STORAGE_OPTIONS"),
        ({"ATTACHMENT_STORAGE_OPTIONS": "{not json"}, "ATTACHMENT_STORAGE_OPTIONS"),
    ],
)
def test_values_that_cannot_work_stop_start_up_naming_them(env, named):
    result = _python(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr
