"""``client.script_generation_templates`` and ``client.script_generations``."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Unpack

from .._pagination import ListCall
from ..errors import TakeOneValueError, WaitTimeoutError
from ..models.scripts import ScriptGeneration, ScriptGenerationState, ScriptGenerationTemplate
from ._base import API, Endpoint, Resource, check_id

if TYPE_CHECKING:
    from .._http import CallOptions

_TEMPLATES = f"{API}/video_container_templates/{{template_id}}/script_generation_templates"
_GENERATIONS = f"{API}/video_containers/{{container_id}}/script_generations"
_LIST_TEMPLATES = Endpoint("GET", _TEMPLATES)
_GET_TEMPLATE = Endpoint("GET", _TEMPLATES + "/{id}")
_CREATE = Endpoint("POST", _GENERATIONS)
_GET = Endpoint("GET", _GENERATIONS + "/{id}")
_LIST = Endpoint("GET", _GENERATIONS)
_FINAL_STATES = frozenset({ScriptGenerationState.COMPLETED, ScriptGenerationState.ERROR})


class ScriptGenerationTemplates(Resource):
    """Prompts available for a video container template."""

    def list(
        self, video_container_template_id: str, **options: Unpack[CallOptions]
    ) -> ListCall[ScriptGenerationTemplate]:
        """``GET .../video_container_templates/{template_id}/script_generation_templates``."""
        return self._list(
            _LIST_TEMPLATES, ScriptGenerationTemplate, options, video_container_template_id
        )

    async def get(
        self, video_container_template_id: str, template_id: str, **options: Unpack[CallOptions]
    ) -> ScriptGenerationTemplate:
        """``GET .../script_generation_templates/{id}``."""
        return await self._call(
            _GET_TEMPLATE,
            ScriptGenerationTemplate,
            options,
            video_container_template_id,
            template_id,
        )


class ScriptGenerations(Resource):
    """AI-written scripts for a video container."""

    async def create(
        self,
        video_container_id: str,
        *,
        template: str,
        parameters: Mapping[str, Any],
        **options: Unpack[CallOptions],
    ) -> ScriptGeneration:
        """``POST .../video_containers/{container_id}/script_generations``."""
        if not isinstance(parameters, Mapping):
            raise TakeOneValueError(
                f"script_generations.create: parameters must be a mapping, got {type(parameters).__name__}"
            )
        data = {"template": check_id(template, "template"), "parameters": dict(parameters)}
        return await self._call(_CREATE, ScriptGeneration, options, video_container_id, json=data)

    async def get(
        self, video_container_id: str, generation_id: str, **options: Unpack[CallOptions]
    ) -> ScriptGeneration:
        """``GET .../script_generations/{id}``."""
        return await self._call(_GET, ScriptGeneration, options, video_container_id, generation_id)

    def list(
        self, video_container_id: str, **options: Unpack[CallOptions]
    ) -> ListCall[ScriptGeneration]:
        """``GET .../video_containers/{container_id}/script_generations``."""
        return self._list(_LIST, ScriptGeneration, options, video_container_id)

    async def wait(
        self,
        video_container_id: str,
        generation_id: str,
        *,
        timeout: float = 120.0,  # noqa: ASYNC109 - part of the documented signature
        poll_interval: float = 1.0,
        max_interval: float = 10.0,
    ) -> ScriptGeneration:
        """Poll with back-off until the generation is ``completed`` or ``error``; return it.

        Raises :class:`WaitTimeoutError` when ``timeout`` seconds pass first.
        """
        if timeout <= 0 or poll_interval <= 0:
            raise TakeOneValueError(
                "script_generations.wait: timeout and poll_interval must be > 0"
            )
        interval = poll_interval
        last_state = "no answer yet"
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                while True:
                    generation = await self.get(video_container_id, generation_id)
                    if generation.state in _FINAL_STATES:
                        return generation
                    last_state = f"state {generation.state!s}"
                    await asyncio.sleep(interval)
                    interval = min(interval * 2, max_interval)
        except TimeoutError:
            if not deadline.expired():
                raise
            raise WaitTimeoutError(
                f"script_generations.wait: generation {generation_id} not finished "
                f"after {timeout}s ({last_state})"
            ) from None
