"""The signed-in person: their account and their personal API tokens (authentication needed)."""

from ninja import Router, Status

from config.errors import ErrorOut
from supporters.models import ApiToken
from supporters.schemas import MeOut, TokenCreatedOut, TokenIn, TokenOut
from supporters.services import create_api_token, revoke_api_token

router = Router(tags=["me"])


@router.get("", response={200: MeOut, 401: ErrorOut}, summary="Show who I am")
def me(request):
    return request.user


@router.get(
    "/tokens",
    response={200: list[TokenOut], 401: ErrorOut},
    summary="List my API tokens",
    description="Every token of the caller, revoked ones included, newest first. "
    "The secret is never listed.",
)
def list_tokens(request):
    return ApiToken.objects.filter(user=request.user)


@router.post(
    "/tokens",
    response={201: TokenCreatedOut, 401: ErrorOut, 422: ErrorOut},
    summary="Create an API token",
    description="The response holds the secret `token`, shown this once: store it now.",
)
def create_token(request, payload: TokenIn):
    token, key = create_api_token(request.user, payload.name)
    token.token = key
    return Status(201, token)


@router.delete(
    "/tokens/{token_id}",
    response={204: None, 401: ErrorOut, 404: ErrorOut},
    summary="Revoke an API token",
    description="Revokes one of the caller's own tokens; others' tokens are 404.",
)
def revoke_token(request, token_id: int):
    revoke_api_token(request.user, token_id)
    return Status(204, None)
