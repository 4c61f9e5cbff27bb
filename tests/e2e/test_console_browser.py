"""The browser console (/console/) in a real headless Chromium against a real daphne process:
a customer and an expert, each in a browser context of their own, go through a request from
opening to review, and staff triage from the same page.

Set CONSOLE_SCREENSHOTS=docs/images to (re)take the README's screenshots while the tests run.
"""

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, WebSocketRoute, expect, sync_playwright

from chat.models import Message
from reviews.models import Review
from support.models import RequestStatus, SupportRequest
from tests.e2e.scenario import E2E
from tests.e2e.servers import DaphneServer
from tests.factories import (
    TEST_PASSWORD,
    ActiveRequestFactory,
    AdminFactory,
    ExpertFactory,
    MessageFactory,
    ReviewFactory,
    SkillFactory,
    SupportRequestFactory,
    UserFactory,
)
from tests.helpers.attachments import PNG, ZIP

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox: CI runs as root in a container. The rest keeps the browser from calling home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1100, "height": 760}
# How long one step (a click, a text to appear) may take; Playwright's default is 30 s.
STEP_TIMEOUT_MS = 5_000
# Access tokens this short are renewed (at 3/4 of their life) several times during a test.
ACCESS_TOKEN_SECONDS = 8

pytestmark = [
    *E2E,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (CI installs it with apt-get)",
    ),
]


@pytest.fixture(autouse=True)
def _passwords_the_server_can_check(settings):
    """The suite hashes passwords with MD5 for speed; the servers know only Django's default
    hashers, and these users sign in through the page."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop marked as running in this thread for as long
    # as it is started, which Django takes for async code and so refuses the ORM. The code here
    # is plain synchronous test code; Playwright's documentation gives this switch for Django.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Console:
    """One person's console in a browser context of its own (own sessionStorage)."""

    def __init__(self, page: Page, server: DaphneServer) -> None:
        self.page = page
        self.frames_in: list[dict] = []
        self.errors: list[str] = []
        self._online = True
        self._socket: tuple[WebSocketRoute, WebSocketRoute] | None = None
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("websocket", lambda ws: ws.on("framereceived", self._record))
        page.route_web_socket("**/ws/", self._route_socket)
        page.goto(f"{server.http_url}/console/")

    def _record(self, payload: str | bytes) -> None:
        self.frames_in.append(json.loads(payload))

    def _route_socket(self, route: WebSocketRoute) -> None:
        """The page's sockets pass through Playwright (to the real server), so that a test can
        cut the connection as a network failure would."""
        if not self._online:
            route.close(code=1001, reason="The test cut the network.")
            return
        self._socket = (route, route.connect_to_server())

    def cut_connection(self) -> None:
        """Drop the socket; reconnection attempts fail until `restore_connection()`."""
        assert self._socket is not None
        self._online = False
        page_side, server_side = self._socket
        server_side.close()
        page_side.close(code=1001)

    def restore_connection(self) -> None:
        self._online = True

    def sign_in(self, email: str) -> None:
        self.page.get_by_label("Email").first.fill(email)
        self.page.get_by_label("Password").first.fill(TEST_PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.locator("#connection-text")).to_have_text("Live")

    def wait_for_frame(self, frame_type: str, *, timeout: float) -> dict:
        """The first frame of this type the page's socket received, waiting for it if need be
        (Playwright delivers the socket's events while the page is being waited on)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in self.frames_in:
                if frame["type"] == frame_type:
                    return frame
            self.page.wait_for_timeout(100)
        raise AssertionError(f"no {frame_type!r} frame within {timeout}s: {self.frames_in[-5:]}")

    def figure(self, name: str) -> Locator:
        """A staff figure's value ("Waiting", "In progress", ...)."""
        return self.page.locator("#stats-figures div", has_text=name).locator("dd")

    def person(self, label: str) -> Locator:
        """A participant of the open request ("Customer", "Expert") and their presence."""
        return self.page.locator("#chat-people li", has_text=f"{label}:")

    def chat_item(self, text: str) -> Locator:
        return self.page.locator("#chat-messages .message", has_text=text)

    def screenshot(self, name: str) -> None:
        folder = os.environ.get("CONSOLE_SCREENSHOTS")
        if folder:
            self.page.screenshot(path=str(Path(folder) / f"{name}.png"))


@pytest.fixture
def open_console(browser, launch_servers) -> Iterator[Callable[[DaphneServer], Console]]:
    """`open_console(server)`: a fresh browser context on the console; all are closed before
    the servers stop, so their sockets' disconnects are recorded first."""
    contexts = []

    def open_one(server: DaphneServer) -> Console:
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        contexts.append(context)
        return Console(context.new_page(), server)

    yield open_one
    for context in contexts:
        context.close()


def test_customer_and_expert_go_from_request_to_review_in_two_browsers(
    launch_servers, open_console
):
    (server,) = launch_servers(1, JWT_ACCESS_SECONDS=str(ACCESS_TOKEN_SECONDS))
    printers = SkillFactory.create(name="printers")
    customer = UserFactory.create(name="Ada Lovelace", email="ada@example.com")
    # Away: a waiting request stays in the queue for them to accept rather than being matched.
    expert = ExpertFactory.create(
        name="Grace Hopper",
        email="grace@example.com",
        profile__is_available=False,
        profile__skills=[printers],
    )
    ada, grace = open_console(server), open_console(server)

    # The customer opens a request.
    ada.sign_in(customer.email)
    expect(ada.page.locator("#me-role")).to_have_text("Customer")
    ada.page.get_by_label("What do you need help with?").fill("Printer on fire")
    ada.page.get_by_label("Details").fill("Smoke is coming out of tray 2.")
    ada.page.get_by_label("Topic").select_option("printers")
    ada.page.get_by_role("button", name="Open request").click()
    expect(ada.page.locator("#chat-title")).to_have_text("Printer on fire")
    expect(ada.page.locator("#chat-status")).to_have_text("Waiting")

    # The expert takes it from the queue.
    grace.sign_in(expert.email)
    expect(grace.page.locator("#me-role")).to_have_text("Expert")
    expect(grace.page.get_by_label("Available for new requests")).not_to_be_checked()
    queued = grace.page.locator("#queue-list .request", has_text="Printer on fire")
    queued.get_by_role("button", name="Accept").click()
    expect(grace.page.locator("#chat-status")).to_have_text("In progress")
    expect(grace.page.locator("#queue-list .request")).to_have_count(0)

    # The customer sees the change live, and both see each other online.
    expect(ada.page.locator("#chat-status")).to_have_text("In progress")
    expect(ada.person("Expert")).to_have_text("Expert: Grace Hopper online")
    expect(grace.person("Customer")).to_have_text("Customer: Ada Lovelace online")

    # Typing shows on the other side; the message replaces it there and is acknowledged here.
    composer = ada.page.get_by_label("Message")
    composer.press_sequentially("My printer is on fire")
    expect(grace.page.locator("#chat-typing")).to_have_text("Ada Lovelace is typing…")
    composer.press("Enter")
    expect(grace.chat_item("My printer is on fire")).to_contain_text("Ada Lovelace (customer)")
    expect(grace.page.locator("#chat-typing")).to_have_text("")
    expect(ada.chat_item("My printer is on fire")).to_have_attribute("data-state", "sent")
    # The expert has the conversation on screen, so it is marked read: "Seen" on her side.
    expect(ada.chat_item("My printer is on fire")).to_contain_text("Seen")

    # And the other way round.
    grace.page.get_by_label("Message").press_sequentially("Unplug it first, then open tray 2")
    expect(ada.page.locator("#chat-typing")).to_have_text("Grace Hopper is typing…")
    grace.page.get_by_role("button", name="Send", exact=True).click()
    expect(ada.chat_item("Unplug it first")).to_contain_text("Grace Hopper (expert)")
    expect(grace.chat_item("Unplug it first")).to_have_attribute("data-state", "sent")
    grace.page.get_by_label("Message").press_sequentially("Is a light blinking?")
    expect(ada.page.locator("#chat-typing")).to_have_text("Grace Hopper is typing…")
    ada.screenshot("console-customer")
    grace.screenshot("console-expert")
    grace.page.get_by_label("Message").press("Enter")
    expect(ada.chat_item("Is a light blinking?")).to_be_visible()

    # The customer's connection drops: the expert sees her go offline; what she sends meanwhile
    # waits, and what the expert sends is stored. Back online, her console re-joins with
    # after_seq and re-sends with the same client_id: every message shows once on each side.
    ada.cut_connection()
    expect(grace.person("Customer")).to_contain_text("offline, last seen")
    ada.page.get_by_label("Message").fill("Sorry, my connection dropped")
    ada.page.get_by_label("Message").press("Enter")
    expect(ada.chat_item("Sorry, my connection dropped")).to_contain_text("Sending…")
    grace.page.get_by_label("Message").fill("No problem, take your time")
    grace.page.get_by_label("Message").press("Enter")
    expect(grace.chat_item("No problem")).to_have_attribute("data-state", "sent")
    ada.restore_connection()
    expect(ada.page.locator("#connection-text")).to_have_text("Live")
    expect(ada.chat_item("Sorry, my connection dropped")).to_contain_text(re.compile("Sent|Seen"))
    expect(grace.person("Customer")).to_have_text("Customer: Ada Lovelace online")
    for person in (ada, grace):
        expect(person.page.locator("#chat-messages .message")).to_have_count(5)

    # Both renewed their short-lived tokens, and their sockets accepted the new ones.
    for person in (ada, grace):
        person.wait_for_frame("authenticated", timeout=ACCESS_TOKEN_SECONDS)

    # The expert closes the request; the customer sees it and reviews the expert.
    grace.page.get_by_role("button", name="Close request").click()
    expect(grace.page.locator("#chat-status")).to_have_text("Closed")
    expect(ada.page.locator("#chat-status")).to_have_text("Closed")
    expect(ada.page.get_by_label("Message")).to_be_hidden()
    ada.page.get_by_label("5", exact=True).check()
    ada.page.get_by_label("Comment").fill("Sorted in minutes.")
    ada.page.get_by_role("button", name="Send review").click()
    expect(ada.page.locator("#chat-note")).to_have_text(
        "This request is closed. You rated it 5 out of 5. Thank you!"
    )

    request = SupportRequest.objects.get()
    assert request.status == RequestStatus.CLOSED
    assert request.expert_id == expert.pk
    assert list(Message.objects.order_by("seq").values_list("seq", "sender__name", "content")) == [
        (1, "Ada Lovelace", "My printer is on fire"),
        (2, "Grace Hopper", "Unplug it first, then open tray 2"),
        (3, "Grace Hopper", "Is a light blinking?"),
        (4, "Grace Hopper", "No problem, take your time"),
        (5, "Ada Lovelace", "Sorry, my connection dropped"),
    ]
    review = Review.objects.get()
    assert (review.rating, review.comment) == (5, "Sorted in minutes.")
    assert ada.errors == []
    assert grace.errors == []


def test_staff_see_the_figures_read_a_conversation_and_assign_a_waiting_request(
    launch_servers, open_console
):
    (server,) = launch_servers(1)
    printers, billing = SkillFactory.create(name="printers"), SkillFactory.create(name="billing")
    grace = ExpertFactory.create(
        name="Grace Hopper", profile__is_available=False, profile__skills=[printers]
    )
    alan = ExpertFactory.create(name="Alan Turing", profile__skills=[billing])
    waiting = SupportRequestFactory.create(
        title="Printer on fire",
        description="Smoke is coming out of tray 2.",
        skill=printers,
        requester=UserFactory.create(name="Ada Lovelace"),
    )
    refund = ActiveRequestFactory.create(
        title="Refund for a double charge",
        description="My card shows two payments for the March invoice.",
        skill=billing,
        requester=UserFactory.create(name="Charles Babbage"),
        expert=alan,
    )
    _conversation(
        refund,
        [
            "I was charged twice for March.",
            "I see both charges; the second one is being refunded now.",
            "Thank you!",
        ],
    )
    ReviewFactory.create(
        request__title="Cannot sign in",
        request__requester=UserFactory.create(name="Joan Clarke"),
        request__expert=grace,
        rating=5,
    )
    staff = AdminFactory.create(name="Olivia Ops")

    olivia = open_console(server)
    olivia.sign_in(staff.email)
    expect(olivia.page.locator("#me-role")).to_have_text("Staff")
    expect(olivia.figure("Waiting")).to_have_text("1")
    expect(olivia.figure("In progress")).to_have_text("1")
    expect(olivia.page.locator("#request-list .request")).to_have_count(3)

    # Staff read a conversation they do not take part in (history over REST).
    olivia.page.get_by_role("button", name="Refund for a double charge").click()
    expect(olivia.page.locator("#chat-messages .message")).to_have_count(3)
    expect(olivia.chat_item("Thank you!")).to_contain_text("Charles Babbage (customer)")
    expect(olivia.page.get_by_label("Message")).to_be_hidden()
    olivia.screenshot("console-staff")

    item = olivia.page.locator("#request-list .request", has_text="Printer on fire")
    item.get_by_label("Assign to").select_option(label="Grace Hopper (offline, 0/1 busy)")
    item.get_by_role("button", name="Assign").click()
    expect(item.locator(".status")).to_have_text("In progress")
    expect(olivia.figure("Waiting")).to_have_text("0")
    waiting.refresh_from_db()
    assert (waiting.status, waiting.expert_id) == (RequestStatus.ACTIVE, grace.pk)
    assert olivia.errors == []


def test_unread_requests_are_marked_and_opening_one_reads_it(launch_servers, open_console):
    (server,) = launch_servers(1)
    ada = UserFactory.create(name="Ada Lovelace")
    request = ActiveRequestFactory.create(title="Printer on fire", requester=ada)
    _conversation(request, ["It is smoking.", "Unplug it.", "Done.", "Now open tray 2."])
    # Each has read up to what they sent: the expert's last message is new to her.
    SupportRequest.objects.filter(pk=request.pk).update(requester_read_seq=3, expert_read_seq=4)

    console = open_console(server)
    console.sign_in(ada.email)
    item = console.page.locator("#request-list .request", has_text="Printer on fire")
    expect(item.locator(".unread")).to_have_text("1 new")
    item.get_by_role("button", name="Printer on fire").click()
    expect(console.chat_item("Now open tray 2.")).to_be_visible()
    expect(item.locator(".unread")).to_have_count(0)
    # Her own messages were read by the expert, who answered them.
    expect(console.chat_item("Done.")).to_contain_text("Seen")

    deadline = time.monotonic() + 10
    while SupportRequest.objects.get(pk=request.pk).requester_read_seq != 4:
        assert time.monotonic() < deadline, "the read mark never reached the server"
        time.sleep(0.1)
    assert console.errors == []


def test_a_customer_attaches_a_file_and_the_expert_downloads_it(
    launch_servers, open_console, tmp_path
):
    (server,) = launch_servers(1, MEDIA_ROOT=str(tmp_path / "media"))
    request = ActiveRequestFactory.create(
        title="Printer shows an error",
        requester=UserFactory.create(name="Ada Lovelace"),
        expert=ExpertFactory.create(name="Grace Hopper"),
    )
    assert request.expert is not None
    picture, archive = tmp_path / "error.png", tmp_path / "logs.png"
    picture.write_bytes(PNG)
    archive.write_bytes(ZIP)
    ada, grace = open_console(server), open_console(server)
    for person, user in ((ada, request.requester), (grace, request.expert)):
        person.sign_in(user.email)
        person.page.get_by_role("button", name="Printer shows an error").click()
        expect(person.page.locator("#chat-status")).to_have_text("In progress")

    # A type that is not allowed is refused, and said so; nothing is sent.
    ada.page.get_by_label("Attach files").set_input_files(archive)
    ada.page.get_by_role("button", name="Send", exact=True).click()
    expect(ada.page.locator("#problem-text")).to_contain_text("not accepted")

    ada.page.get_by_label("Attach files").set_input_files(picture)
    ada.page.get_by_label("Message").fill("This is on the screen")
    ada.page.get_by_label("Message").press("Enter")
    sent = grace.chat_item("This is on the screen")
    expect(sent).to_contain_text("error.png")
    expect(ada.chat_item("This is on the screen")).to_have_attribute("data-state", "sent")
    with grace.page.expect_download() as download:
        sent.get_by_role("button", name="error.png").click()

    assert download.value.suggested_filename == "error.png"
    assert Path(download.value.path()).read_bytes() == PNG
    message = Message.objects.get()
    assert [a.name for a in message.attachments.all()] == ["error.png"]
    assert ada.errors == grace.errors == []


def _conversation(request: SupportRequest, lines: list[str]) -> None:
    """Messages taking turns between the request's customer and expert."""
    assert request.expert is not None
    people = [request.requester, request.expert]
    for seq, content in enumerate(lines, start=1):
        MessageFactory.create(
            request=request, sender=people[(seq - 1) % 2], seq=seq, content=content
        )
    request.last_seq = len(lines)
    request.save(update_fields=["last_seq"])


def test_an_expert_sends_a_request_back_to_the_queue_and_the_timeline_tells_it(
    launch_servers, open_console
):
    (server,) = launch_servers(1)
    printers = SkillFactory.create(name="printers")
    customer = UserFactory.create(name="Ada Lovelace")
    grace = ExpertFactory.create(name="Grace Hopper", profile__skills=[printers])
    # Online, available, with the skill: matching gives her the request once it is requeued.
    joan = ExpertFactory.create(name="Joan Clarke", profile__skills=[printers])
    request = ActiveRequestFactory.create(
        title="Printer on fire", skill=printers, requester=customer, expert=grace
    )
    _conversation(request, ["My printer is on fire.", "Let me look."])
    ada, gracie, clarke = open_console(server), open_console(server), open_console(server)
    clarke.sign_in(joan.email)
    ada.sign_in(customer.email)
    ada.page.get_by_role("button", name="Printer on fire").click()
    expect(ada.page.locator("#chat-messages .message")).to_have_count(2)
    gracie.sign_in(grace.email)
    gracie.page.get_by_role("button", name="Printer on fire").click()
    expect(gracie.page.get_by_label("Message")).to_be_visible()

    gracie.page.get_by_role("button", name="Back to the queue").click()

    # The request leaves Grace: out of her list, her chat closed to her.
    expect(gracie.page.locator("#request-list .request")).to_have_count(0)
    expect(gracie.page.get_by_label("Message")).to_be_hidden()
    expect(gracie.page.locator("#chat-note")).to_have_text(
        "This request is now with another expert."
    )
    # Matching gave it to Joan, who picks up the conversation; Ada sees her arrive.
    expect(ada.person("Expert")).to_contain_text("Joan Clarke")
    clarke.page.get_by_role("button", name="Printer on fire").click()
    expect(clarke.page.locator("#chat-messages .message")).to_have_count(2)
    clarke.page.get_by_label("Message").fill("I'll take it from here.")
    clarke.page.get_by_label("Message").press("Enter")
    expect(ada.chat_item("I'll take it from here.")).to_contain_text("Joan Clarke (expert)")

    ada.page.locator("#chat-timeline summary").click()
    entries = ada.page.locator("#chat-timeline-list li")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("Back in the queue from Grace Hopper by Grace Hopper")
    expect(entries.nth(1)).to_contain_text("Assigned to Joan Clarke automatically")
    request.refresh_from_db()
    assert (request.status, request.expert_id) == (RequestStatus.ACTIVE, joan.pk)
    assert [c.errors for c in (ada, gracie, clarke)] == [[], [], []]
