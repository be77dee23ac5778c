"""``client.video_container_templates`` and ``client.video_containers``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

from .._pagination import ListCall
from ..models.video_containers import VideoContainer, VideoContainerTemplate
from ._base import API, Endpoint, Resource, check_id, check_text

if TYPE_CHECKING:
    from .._http import CallOptions

_TEMPLATES = Endpoint("GET", f"{API}/video_container_templates")
_CREATE = Endpoint("POST", f"{API}/video_containers")
_LIST = Endpoint("GET", f"{API}/video_containers")


class VideoContainerTemplates(Resource):
    """Templates that video containers are made from."""

    def list(self, **options: Unpack[CallOptions]) -> ListCall[VideoContainerTemplate]:
        """``GET /api/v1/video_container_templates``."""
        return self._list(_TEMPLATES, VideoContainerTemplate, options)


class VideoContainers(Resource):
    """Profile slots, each made from a template."""

    async def create(
        self, *, template: str, name: str, **options: Unpack[CallOptions]
    ) -> VideoContainer:
        """``POST /api/v1/video_containers``."""
        data = {"template": check_id(template, "template"), "name": check_text(name, "name")}
        return await self._call(_CREATE, VideoContainer, options, json=data)

    def list(self, **options: Unpack[CallOptions]) -> ListCall[VideoContainer]:
        """``GET /api/v1/video_containers``."""
        return self._list(_LIST, VideoContainer, options)
