"""``client.headshot_container_templates``, ``client.headshot_containers``, ``client.headshot_projects``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

from .._pagination import ListCall
from ..models.headshots import HeadshotContainer, HeadshotContainerTemplate, HeadshotProject
from ._base import API, Endpoint, Resource, check_id, check_text

if TYPE_CHECKING:
    from .._http import CallOptions

_TEMPLATES = Endpoint("GET", f"{API}/headshot_container_templates")
_CONTAINERS = Endpoint("GET", f"{API}/headshot_containers")
_CREATE_CONTAINER = Endpoint("POST", f"{API}/headshot_containers")
_GET_CONTAINER = Endpoint("GET", f"{API}/headshot_containers/{{id}}")
_PROJECTS = Endpoint("GET", f"{API}/headshot_projects")
_CREATE_PROJECT = Endpoint("POST", f"{API}/headshot_projects")
_GET_PROJECT = Endpoint("GET", f"{API}/headshot_projects/{{id}}")


class HeadshotContainerTemplates(Resource):
    """Templates that headshot containers are made from."""

    def list(self, **options: Unpack[CallOptions]) -> ListCall[HeadshotContainerTemplate]:
        """``GET /api/v1/headshot_container_templates``."""
        return self._list(_TEMPLATES, HeadshotContainerTemplate, options)


class HeadshotContainers(Resource):
    """Headshot slots, one per user and template."""

    async def create(
        self, *, template: str, user: str, name: str, **options: Unpack[CallOptions]
    ) -> HeadshotContainer:
        """``POST /api/v1/headshot_containers``."""
        data = {
            "template": check_id(template, "template"),
            "user": check_id(user, "user"),
            "name": check_text(name, "name"),
        }
        return await self._call(_CREATE_CONTAINER, HeadshotContainer, options, json=data)

    async def get(self, container_id: str, **options: Unpack[CallOptions]) -> HeadshotContainer:
        """``GET /api/v1/headshot_containers/{id}``."""
        return await self._call(_GET_CONTAINER, HeadshotContainer, options, container_id)

    def list(self, **options: Unpack[CallOptions]) -> ListCall[HeadshotContainer]:
        """``GET /api/v1/headshot_containers``."""
        return self._list(_CONTAINERS, HeadshotContainer, options)


class HeadshotProjects(Resource):
    """Headshot sessions."""

    async def create(
        self, *, headshot_container: str, user: str, **options: Unpack[CallOptions]
    ) -> HeadshotProject:
        """``POST /api/v1/headshot_projects``."""
        data = {
            "headshot_container": check_id(headshot_container, "headshot_container"),
            "user": check_id(user, "user"),
        }
        return await self._call(_CREATE_PROJECT, HeadshotProject, options, json=data)

    async def get(self, project_id: str, **options: Unpack[CallOptions]) -> HeadshotProject:
        """``GET /api/v1/headshot_projects/{id}``."""
        return await self._call(_GET_PROJECT, HeadshotProject, options, project_id)

    def list(self, **options: Unpack[CallOptions]) -> ListCall[HeadshotProject]:
        """``GET /api/v1/headshot_projects``."""
        return self._list(_PROJECTS, HeadshotProject, options)
