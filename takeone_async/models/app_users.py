"""App users: the platform's members as TakeOne knows them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from ._extra import extra_field

__all__ = ["AppUser", "AppUserProject", "AppUserState", "AppUserStatus", "AuthCode"]


class AppUserState(StrEnum):
    """Where a user is in the invitation flow."""

    NOT_INVITED = "not_invited"
    PENDING = "pending"
    ACTIVE = "active"
    INACTIVE = "inactive"


@attrs.frozen
class AppUserStatus:
    """A user's state and when it was reached."""

    state: AppUserState | str | None = None
    date_time: datetime | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class AppUserProject:
    """The short project entry listed on an app user."""

    id: str
    organization_display_name: str | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class AppUser:
    """A member of the platform who records videos in TakeOne's app."""

    id: str
    is_active: bool | None = None
    external_id: str | None = None
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email_address: str | None = None
    projects: tuple[AppUserProject, ...] = ()
    status: AppUserStatus | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class AuthCode:
    """The answer of ``app_users/authorize``."""

    code: str
    extra: Mapping[str, Any] = extra_field()
