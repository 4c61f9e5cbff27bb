"""REST clients signed in as a given user."""

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User


def access_token_for(user: User) -> str:
    return str(RefreshToken.for_user(user).access_token)


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client
