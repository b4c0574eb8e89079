"""API for the signed-in user, tokens, users and teams."""

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kefu.accounts import selectors, services
from kefu.accounts.models import ApiToken
from kefu.api.pagination import PageNumberless
from kefu.core.permissions import require_perm, require_staff

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    roles: list[str]
    language: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    expires_at: dt.datetime | None = None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself. It is shown only this once.")


class TeamOut(Schema):
    id: int
    version: int
    name: str
    description: str
    lead_id: int | None
    member_ids: list[int]

    @staticmethod
    def resolve_member_ids(obj) -> list[int]:
        return [m.pk for m in obj.members.all()]


class TeamIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    lead_id: int | None = None


class TeamPatch(Schema):
    version: int = Field(description="The version you read; a stale one gets 409.")
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None
    lead_id: int | None = None


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    is_active: bool
    roles: list[str]

    @staticmethod
    def resolve_roles(obj) -> list[str]:
        return sorted(g.name for g in obj.groups.all())


@router.get("/me", response=MeOut)
def me(request):
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "email": user.email,
        "roles": sorted(user.role_names()),
        "language": user.language,
    }


@router.get("/tokens", response=list[TokenOut])
def token_list(request):
    return list(selectors.token_list(actor=request.user))


@router.post("/tokens", response={201: TokenCreatedOut})
def token_create(request, payload: TokenIn):
    issued = services.token_create(
        actor=request.user, user=request.user, name=payload.name, expires_at=payload.expires_at
    )
    return Status(201, {**TokenOut.from_orm(issued.token).dict(), "token": issued.raw})


@router.delete("/tokens/{token_id}", response={204: None})
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.token_revoke(actor=request.user, token=token)
    return Status(204, None)


@router.get("/users", response=list[UserOut])
@paginate(PageNumberless)
def user_list(request):
    require_perm(request.user, "accounts.view_user")
    return selectors.user_list(actor=request.user)


teams_router = Router(tags=["accounts"])


@teams_router.get("", response=list[TeamOut])
@paginate(PageNumberless)
def team_list(request):
    require_staff(request.user)
    return selectors.team_list(actor=request.user)


@teams_router.post("", response={201: TeamOut})
def team_create(request, payload: TeamIn):
    lead = None
    if payload.lead_id is not None:
        lead = get_object_or_404(selectors.user_list(actor=request.user), pk=payload.lead_id)
    team = services.team_create(
        actor=request.user, name=payload.name, description=payload.description, lead=lead
    )
    return Status(201, team)


@teams_router.get("/{team_id}", response=TeamOut)
def team_detail(request, team_id: int):
    require_staff(request.user)
    return get_object_or_404(selectors.team_list(actor=request.user), pk=team_id)


@teams_router.patch("/{team_id}", response=TeamOut)
def team_update(request, team_id: int, payload: TeamPatch):
    team = get_object_or_404(selectors.team_list(actor=request.user), pk=team_id)
    changes = payload.dict(exclude_unset=True, exclude={"version"})
    if "lead_id" in changes:
        lead_id = changes.pop("lead_id")
        changes["lead"] = (
            None
            if lead_id is None
            else get_object_or_404(selectors.user_list(actor=request.user), pk=lead_id)
        )
    return services.team_update(
        actor=request.user, team=team, expected_version=payload.version, changes=changes
    )


ROUTERS = [("/accounts", router), ("/teams", teams_router)]
