"""REST clients signed in as a given user."""

from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from tests.helpers.openapi import SchemaCheckedClient


def access_token_for(user: User) -> str:
    return str(RefreshToken.for_user(user).access_token)


def client_for(user: User) -> SchemaCheckedClient:
    """A client signed in with a bearer token; its answers are checked against the schema."""
    client = SchemaCheckedClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client
