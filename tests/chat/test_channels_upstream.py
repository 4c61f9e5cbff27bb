"""chat.consumer.resilient replaces channels' AsyncConsumer.__call__ and dispatch (its docstring
says why) and relies on await_many_dispatch. The replacement was written against channels 4.3.2
(pinned in requirements.txt). If an upgrade changes any of them, this fails, so that the
replacement is compared with the new upstream code before the upgrade lands."""

import hashlib
import inspect

from channels.consumer import AsyncConsumer
from channels.utils import await_many_dispatch

# sha256 of the source of the three functions below, as of channels 4.3.2.
UPSTREAM_FINGERPRINT = "454dce598769fe12bfd3a193de99e88035d7213be3ecaaf3dd01b34f32fd251a"


def test_the_channels_code_the_resilient_consumer_replaces_is_unchanged():
    source = "".join(
        inspect.getsource(function)
        for function in (AsyncConsumer.__call__, AsyncConsumer.dispatch, await_many_dispatch)
    )

    assert hashlib.sha256(source.encode()).hexdigest() == UPSTREAM_FINGERPRINT, (
        "channels changed AsyncConsumer.__call__, AsyncConsumer.dispatch or "
        "await_many_dispatch: bring chat/consumer/resilient.py in line with the new code, "
        "then update UPSTREAM_FINGERPRINT."
    )
