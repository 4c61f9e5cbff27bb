"""REST clients signed in as a given user."""

from typing import Any

from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from accounts.models import User
from tests.helpers.openapi import SchemaCheckedClient


def access_token_for(user: User) -> str:
    return str(RefreshToken.for_user(user).access_token)


# Not ids of any user, in a token's user id claim: simplejwt hands them to the ORM, which raises
# ValidationError for them (an int is taken as a UUID's number and is merely unknown).
NOT_USER_IDS = ["not-a-uuid", "", -1, 1.5, ["x"], {"id": "x"}]


def signed_token_for_user_id(user_id: Any, *, kind: type[Token] = AccessToken) -> str:
    """A token signed with the server's key whose user id claim is `user_id`, whatever it is:
    what a key shared with another service (or leaked) lets anyone present."""
    token = kind()
    token[api_settings.USER_ID_CLAIM] = user_id
    return str(token)


def client_for(user: User) -> SchemaCheckedClient:
    """A client signed in with a bearer token; its answers are checked against the schema."""
    client = SchemaCheckedClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client
