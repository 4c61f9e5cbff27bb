"""What an offline email says: the count, the title on one line, the newest message's first
lines and who sent it."""

from accounts.models import User
from chat.models import Message
from notifications.emails import offline_email
from support.models import SupportRequest


def email_for(content: str, *, title: str = "Printer on fire", unread: int = 2):
    user = User(name="Sam", email="sam@example.com")
    request = SupportRequest(title=title)
    newest = Message(sender=User(name="Alex"), content=content)
    return offline_email(request=request, user=user, unread=unread, newest=newest)


def test_one_unread_message_is_singular():
    email = email_for("Hi", unread=1)

    assert email.subject == "1 new message in «Printer on fire»"
    assert email.to == ["sam@example.com"]


def test_a_long_message_is_quoted_by_its_first_five_lines():
    email = email_for("\n".join(f"line {n}" for n in range(1, 9)))

    assert "    line 1\n" in email.body
    assert "    line 5 …\n" in email.body
    assert "line 6" not in email.body


def test_a_long_line_is_cut_at_500_characters():
    email = email_for("x" * 2000)

    assert f"    {'x' * 500} …\n" in email.body


def test_a_title_with_line_breaks_fits_on_the_subject_line():
    email = email_for("Hi", title="Printer\n  on\r\nfire")

    assert email.subject == "2 new messages in «Printer on fire»"
    # A line break in a header would make Django refuse to build the email (BadHeaderError).
    assert email.message()["Subject"]


def test_the_body_says_who_wrote_the_newest_message_and_how_to_turn_emails_off():
    body = email_for("Unplug it.").body

    assert body.startswith("Hello Sam,\n")
    assert "The latest, from Alex:\n\n    Unplug it.\n" in body
    assert 'PATCH /api/me/ with {"email_notifications": false}' in body
