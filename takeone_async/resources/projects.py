"""``client.projects``: create, list, publish and unpublish recordings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

from .._pagination import ListCall
from ..models.projects import Project
from ._base import API, Endpoint, Resource, check_id, check_optional_text, optional_id

if TYPE_CHECKING:
    from .._http import CallOptions

_CREATE = Endpoint("POST", f"{API}/projects")
_LIST = Endpoint("GET", f"{API}/projects")
_PUBLISH = Endpoint("POST", f"{API}/projects/{{id}}/publish")
_UNPUBLISH = Endpoint("POST", f"{API}/projects/{{id}}/unpublish")


class Projects(Resource):
    """Recordings: one per video container and user."""

    async def create(
        self,
        *,
        user: str,
        video_container: str,
        organization_display_name: str | None = None,
        **options: Unpack[CallOptions],
    ) -> Project:
        """``POST /api/v1/projects``."""
        data = {
            "user": check_id(user, "user"),
            "video_container": check_id(video_container, "video_container"),
        }
        display_name = check_optional_text(organization_display_name, "organization_display_name")
        if display_name is not None:
            data["organization_display_name"] = display_name
        return await self._call(_CREATE, Project, options, json=data)

    def list(
        self,
        *,
        user_id: str | None = None,
        video_container: str | None = None,
        **options: Unpack[CallOptions],
    ) -> ListCall[Project]:
        """``GET /api/v1/projects``, optionally filtered by user and video container."""
        params = {
            "user_id": optional_id(user_id, "user_id"),
            "video_container": optional_id(video_container, "video_container"),
        }
        return self._list(_LIST, Project, options, params=params)

    async def publish(self, project_id: str, **options: Unpack[CallOptions]) -> Project:
        """``POST /api/v1/projects/{id}/publish``: starts publishing (``publishing_status`` publishing)."""
        return await self._call(_PUBLISH, Project, options, project_id)

    async def unpublish(self, project_id: str, **options: Unpack[CallOptions]) -> Project:
        """``POST /api/v1/projects/{id}/unpublish``: starts unpublishing."""
        return await self._call(_UNPUBLISH, Project, options, project_id)
