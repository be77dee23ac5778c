"""``client.app_users``: create, read, update, list, authorize and invite app users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

from .._http import CALL_OPTIONS, check_options, deadline_error
from .._pagination import ListCall
from .._retrying import Retry, retrying
from ..errors import (
    APIConnectionError,
    ConflictError,
    RateLimitError,
    ServerError,
    TakeOneValueError,
)
from ..models.app_users import AppUser, AuthCode
from ..retry import Attempts
from ._base import API, UNSET, Endpoint, Resource, body, check_id, check_text

if TYPE_CHECKING:
    from .._http import CallOptions

# A 409 may mean a concurrent create of the same external_id won: looking up again finds it.
_RETRYABLE_CREATE_FAILURES = (ServerError, APIConnectionError, RateLimitError, ConflictError)
_CREATE = Endpoint("POST", f"{API}/app_users")
_GET = Endpoint("GET", f"{API}/app_users/{{id}}")
_UPDATE = Endpoint("PUT", f"{API}/app_users/{{id}}")
_LIST = Endpoint("GET", f"{API}/app_users")
_AUTHORIZE = Endpoint("POST", f"{API}/app_users/authorize")
_EMAIL = Endpoint("POST", f"{API}/app_users/email")


class AppUsers(Resource):
    """The platform's members as TakeOne knows them."""

    async def create(
        self,
        *,
        external_id: str | None = UNSET,
        given_name: str | None = UNSET,
        family_name: str | None = UNSET,
        email_address: str | None = UNSET,
        **options: Unpack[CallOptions],
    ) -> AppUser:
        """``POST /api/v1/app_users``: only the fields given are sent."""
        data = body(
            external_id=external_id,
            given_name=given_name,
            family_name=family_name,
            email_address=email_address,
        )
        return await self._call(_CREATE, AppUser, options, json=data)

    async def get(self, user_id: str, **options: Unpack[CallOptions]) -> AppUser:
        """``GET /api/v1/app_users/{id}``."""
        return await self._call(_GET, AppUser, options, user_id)

    async def update(
        self,
        user_id: str,
        *,
        external_id: str | None = UNSET,
        given_name: str | None = UNSET,
        family_name: str | None = UNSET,
        display_name: str | None = UNSET,
        email_address: str | None = UNSET,
        **options: Unpack[CallOptions],
    ) -> AppUser:
        """``PUT /api/v1/app_users/{id}``: only the fields given are sent (None clears one)."""
        check_options("app_users.update", options)
        data = body(
            external_id=external_id,
            given_name=given_name,
            family_name=family_name,
            display_name=display_name,
            email_address=email_address,
        )
        if not data:
            raise TakeOneValueError("app_users.update: give at least one field to change")
        return await self._call(_UPDATE, AppUser, options, user_id, json=data)

    def list(
        self, *, external_id: str | None = None, **options: Unpack[CallOptions]
    ) -> ListCall[AppUser]:
        """``GET /api/v1/app_users``, optionally filtered by ``external_id``.

        ``external_id`` is the platform's own key, sent as a query parameter: any non-empty
        string (``/``, ``?``, ``..`` included) is fine.
        """
        if external_id is not None:
            check_text(external_id, "external_id")
        params = {"external_id": external_id}
        return self._list(_LIST, AppUser, options, params=params)

    async def authorize(self, user_id: str, **options: Unpack[CallOptions]) -> str:
        """``POST /api/v1/app_users/authorize``: an auth code to open the app as this user."""
        data = {"user": check_id(user_id, "user_id")}
        result = await self._call(_AUTHORIZE, AuthCode, options, json=data)
        return result.code

    async def send_invitation_email(self, user_id: str, **options: Unpack[CallOptions]) -> None:
        """``POST /api/v1/app_users/email``: queue the invitation email."""
        data = {"user": check_id(user_id, "user_id")}
        await self._call_raw(_EMAIL, options, json=data)

    async def find_by_external_id(
        self, external_id: str, **options: Unpack[CallOptions]
    ) -> AppUser | None:
        """The oldest user whose ``external_id`` matches exactly, or None."""
        check_text(external_id, "external_id")
        matches = [
            user
            async for user in self.list(external_id=external_id, **options)
            if user.external_id == external_id
        ]
        if not matches:
            return None
        return min(matches, key=lambda u: (u.created_date_time is None, u.created_date_time, u.id))

    async def get_or_create(
        self, *, external_id: str, attempts: int | None = None, **fields: Any
    ) -> AppUser:
        """The user with this ``external_id``, created with ``fields`` only if none exists.

        Idempotent as a whole, so it retries as a whole: after a create that failed in a way
        that may have stored the user anyway (5xx, timeout, dropped connection, 429), it looks
        the user up again before creating again. ``attempts`` defaults to max_retries + 1.
        The call options apply too: ``timeout``/``connect_timeout`` to each request,
        ``max_retries`` to each look-up and to the default ``attempts`` (the create itself is
        never retried alone), ``deadline`` to the whole operation.
        """
        call = "app_users.get_or_create"
        check_text(external_id, "external_id")
        options = {name: fields.pop(name) for name in CALL_OPTIONS if name in fields}
        unknown = set(fields) - {"given_name", "family_name", "email_address"}
        if unknown:
            raise TakeOneValueError(f"{call}: unknown field(s) {', '.join(sorted(unknown))}")
        check_options(call, options)
        policy = self._client.retry_policy
        retries = options.get("max_retries", policy.max_retries)
        total = retries + 1 if attempts is None else attempts
        if isinstance(total, bool) or not isinstance(total, int) or total < 1:
            raise TakeOneValueError(f"{call}: attempts must be an integer >= 1, got {total!r:.40}")
        deadline = options.get("deadline", self._client.deadline)
        tries = Attempts(policy, total, deadline)

        async def look_up_then_create() -> AppUser | Retry:
            existing = await self.find_by_external_id(
                external_id, **_within_deadline(call, tries, options)
            )
            if existing is not None:
                return existing
            create_options = {**_within_deadline(call, tries, options), "max_retries": 0}
            tries.start()
            try:
                return await self.create(external_id=external_id, **create_options, **fields)
            except _RETRYABLE_CREATE_FAILURES as exc:  # the user may exist now: look up again
                return Retry(exc, exc.retry_after if isinstance(exc, RateLimitError) else None)

        return await retrying(call, tries, look_up_then_create)


def _within_deadline(call: str, attempts: Attempts, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` for the next request of ``get_or_create``: its deadline what is left of the
    whole operation's, or the operation's timeout error once that has passed."""
    left = attempts.time_left()
    if left is None:
        return options
    if left <= 0:
        raise deadline_error(call, attempts.deadline, attempts.made)
    return {**options, "deadline": left}
