"""The sandbox's state: every object in memory as the SDK's own models, with the API's checks.

Pure: no I/O and no timers. Methods take decoded JSON bodies, validate them the way the API
does (raising :class:`SandboxError` with the DRF-style body to answer) and return models.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

import attrs

from ..converter import structure
from ..models import (
    AppUser,
    AppUserProject,
    AppUserState,
    AppUserStatus,
    HeadshotContainer,
    HeadshotContainerTemplate,
    HeadshotProject,
    HeadshotProjectState,
    Project,
    ProjectState,
    PublishingStatus,
    ScriptGeneration,
    ScriptGenerationState,
    ScriptGenerationTemplate,
    VideoContainer,
    VideoContainerTemplate,
)
from . import _seed
from ._errors import SandboxNotFoundError, SandboxValidationError
from ._validation import Field, schema_errors, validate

__all__ = ["Clock", "Store"]

T = TypeVar("T")


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


M = TypeVar("M", bound=_HasId)


class Clock:
    """UTC date-times that strictly increase, so ``modified_date_time`` always orders changes."""

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.now(UTC))
        self._last: datetime | None = None

    def __call__(self) -> datetime:
        now = self._now()
        if self._last is not None and now <= self._last:
            now = self._last + timedelta(microseconds=1)
        self._last = now
        return now


def _new_id() -> str:
    return str(uuid.uuid4())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _get(table: dict[str, T], key: str, what: str) -> T:
    try:
        return table[key]
    except KeyError:
        raise SandboxNotFoundError(f"{what} {key!r}") from None


def _ref(name: str, table: dict[str, Any]) -> Field:
    """A required field naming an object of ``table`` by id."""
    return Field(name, required=True, exists=table.__contains__)


def _newest_first(items: Iterable[T]) -> list[T]:
    return list(reversed(list(items)))


_USER_FIELDS = ("external_id", "given_name", "family_name", "email_address")


class Store:
    """All objects of one sandbox, keyed by id, in creation order."""

    def __init__(
        self, *, signing_key: bytes, clock: Clock | None = None, seed: bool = True
    ) -> None:
        self.clock = clock or Clock()
        self._signing_key = signing_key
        self.video_container_templates: dict[str, VideoContainerTemplate] = {}
        self.script_generation_templates: dict[str, ScriptGenerationTemplate] = {}
        self.headshot_container_templates: dict[str, HeadshotContainerTemplate] = {}
        self.app_users: dict[str, AppUser] = {}
        self.video_containers: dict[str, VideoContainer] = {}
        self.projects: dict[str, Project] = {}
        self.script_generations: dict[str, ScriptGeneration] = {}
        self.generation_containers: dict[str, str] = {}
        self.headshot_containers: dict[str, HeadshotContainer] = {}
        self.headshot_projects: dict[str, HeadshotProject] = {}
        self._streams_from: dict[str, str] = {}  # video container id -> the project it shows
        if seed:
            self.seed()

    def seed(self) -> None:
        """Add the documented templates."""
        for data in _seed.VIDEO_CONTAINER_TEMPLATES:
            self.add(self.video_container_templates, structure(data, VideoContainerTemplate))
        for data in _seed.SCRIPT_GENERATION_TEMPLATES:
            self.add(self.script_generation_templates, structure(data, ScriptGenerationTemplate))
        for data in _seed.HEADSHOT_CONTAINER_TEMPLATES:
            self.add(self.headshot_container_templates, structure(data, HeadshotContainerTemplate))

    @staticmethod
    def newest(table: dict[str, M]) -> list[M]:
        """The objects of ``table``, newest first (the API's list order)."""
        return _newest_first(table.values())

    @staticmethod
    def add(table: dict[str, M], obj: M) -> M:
        """Store ``obj`` in ``table`` under its id; return it."""
        table[obj.id] = obj
        return obj

    # -- app users ----------------------------------------------------------------------------

    def create_app_user(self, body: Any) -> AppUser:
        fields = validate(body, [Field(n, email=n == "email_address") for n in _USER_FIELDS])
        now = self.clock()
        user = AppUser(
            id=_new_id(),
            is_active=True,
            external_id=fields.get("external_id"),
            given_name=fields.get("given_name"),
            family_name=fields.get("family_name"),
            email_address=fields.get("email_address"),
            status=AppUserStatus(state=AppUserState.NOT_INVITED, date_time=now),
            created_date_time=now,
            modified_date_time=now,
        )
        return self.add(self.app_users, user)

    def app_user(self, user_id: str) -> AppUser:
        return _get(self.app_users, user_id, "app user")

    def list_app_users(self, external_id: str | None = None) -> list[AppUser]:
        return _newest_first(
            u
            for u in self.app_users.values()
            if external_id is None or u.external_id == external_id
        )

    def update_app_user(self, user_id: str, body: Any) -> AppUser:
        user = self.app_user(user_id)
        names = (*_USER_FIELDS, "display_name")
        fields = validate(body, [Field(n, email=n == "email_address") for n in names])
        updated = attrs.evolve(user, modified_date_time=self.clock(), **fields)
        return self.add(self.app_users, updated)

    def authorize(self, body: Any) -> dict[str, str]:
        """A short-lived JWT (HS256) naming the user, as the recording app expects."""
        user_id = validate(body, [_ref("user", self.app_users)])["user"]
        now = self.clock()
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {"sub": user_id, "iat": int(now.timestamp()), "exp": int(now.timestamp()) + 600}
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._signing_key, f"{header}.{payload}".encode(), hashlib.sha256)
        return {"code": f"{header}.{payload}.{_b64(signature.digest())}"}

    def invite(self, body: Any) -> dict[str, Any]:
        """Queue the invitation email: the user becomes ``pending``."""
        user = self.app_user(validate(body, [_ref("user", self.app_users)])["user"])
        if not user.email_address:
            raise SandboxValidationError({"detail": "app user has no email address"})
        now = self.clock()
        status = AppUserStatus(state=AppUserState.PENDING, date_time=now)
        self.add(self.app_users, attrs.evolve(user, status=status, modified_date_time=now))
        return {}

    # -- video containers ---------------------------------------------------------------------

    def create_video_container(self, body: Any) -> VideoContainer:
        fields = validate(
            body,
            [_ref("template", self.video_container_templates), Field("name", required=True)],
        )
        template = self.video_container_templates[fields["template"]]
        now = self.clock()
        container = VideoContainer(
            id=_new_id(),
            template=template.id,
            template_name=template.name,
            name=fields["name"],
            description="",
            hotlinking_protection_enabled=False,
            allowed_origins=(),
            language=template.language,
            created_date_time=now,
            modified_date_time=now,
        )
        return self.add(self.video_containers, container)

    def video_container(self, container_id: str) -> VideoContainer:
        return _get(self.video_containers, container_id, "video container")

    def formats(self, project: Project) -> list[str]:
        """The video formats of the template behind a project's container."""
        container = self.video_container(project.video_container or "")
        template = self.video_container_templates.get(container.template or "")
        if template is None:
            return ["landscape"]
        formats = [str(f) for f in template.video_formats]
        return formats or [str(template.video_format or "landscape")]

    # -- projects -----------------------------------------------------------------------------

    def create_project(self, body: Any) -> Project:
        fields = validate(
            body,
            [
                _ref("user", self.app_users),
                _ref("video_container", self.video_containers),
                Field("organization_display_name"),
            ],
        )
        container = self.video_containers[fields["video_container"]]
        now = self.clock()
        project = Project(
            id=_new_id(),
            video_container=container.id,
            user=fields["user"],
            state=ProjectState.RECORDING,
            organization_display_name=fields.get("organization_display_name"),
            user_provided_title="",
            manager_provided_script="",
            publishing_status=PublishingStatus.CANNOT_PUBLISH,
            language=container.language,
            created_date_time=now,
            modified_date_time=now,
        )
        self.add(self.projects, project)
        user = self.app_users[project.user or ""]
        entry = AppUserProject(
            id=project.id,
            organization_display_name=project.organization_display_name,
            created_date_time=now,
            modified_date_time=now,
        )
        self.add(self.app_users, attrs.evolve(user, projects=(*user.projects, entry)))
        return project

    def project(self, project_id: str) -> Project:
        return _get(self.projects, project_id, "project")

    def list_projects(
        self, user_id: str | None = None, video_container: str | None = None
    ) -> list[Project]:
        return _newest_first(
            p
            for p in self.projects.values()
            if (user_id is None or p.user == user_id)
            and (video_container is None or p.video_container == video_container)
        )

    def save_project(self, project: Project) -> VideoContainer:
        """Store a changed project, mirror its streams on its container; return the container."""
        self.add(self.projects, project)
        container = self.video_container(project.video_container or "")
        if project.publishing_status == PublishingStatus.PUBLISHED:
            self._streams_from[container.id] = project.id
            container = attrs.evolve(
                container,
                video_stream=project.published_video_stream,
                publishing_info=project.publishing_info,
            )
        elif project.publishing_info is None and self._streams_from.get(container.id) == project.id:
            del self._streams_from[container.id]
            container = attrs.evolve(container, video_stream=None, publishing_info=None)
        return self.add(self.video_containers, container)

    # -- script generations -------------------------------------------------------------------

    def list_script_generation_templates(self, template_id: str) -> list[ScriptGenerationTemplate]:
        _get(self.video_container_templates, template_id, "video container template")
        return [
            t
            for t in self.script_generation_templates.values()
            if t.video_container_template == template_id
        ]

    def script_generation_template(self, template_id: str, id_: str) -> ScriptGenerationTemplate:
        found = self.script_generation_templates.get(id_)
        if found is None or found.video_container_template != template_id:
            raise SandboxNotFoundError(f"script generation template {id_!r}")
        return found

    def create_script_generation(self, container_id: str, body: Any) -> ScriptGeneration:
        container = self.video_container(container_id)

        def usable(template_id: str) -> bool:
            found = self.script_generation_templates.get(template_id)
            return found is not None and found.video_container_template == container.template

        fields = validate(
            body,
            [
                Field("template", required=True, exists=usable),
                Field("parameters", required=True, kind="dict"),
            ],
        )
        template = self.script_generation_templates[fields["template"]]
        problems = schema_errors(fields["parameters"], template.prompt_parameters_schema)
        if problems:
            raise SandboxValidationError({"parameters": problems})
        now = self.clock()
        generation = ScriptGeneration(
            id=_new_id(),
            state=ScriptGenerationState.INITIALIZED,
            template=template.id,
            prompt_parameters=fields["parameters"],
            script="",
            created_date_time=now,
            modified_date_time=now,
        )
        self.generation_containers[generation.id] = container_id
        return self.add(self.script_generations, generation)

    def list_script_generations(self, container_id: str) -> list[ScriptGeneration]:
        self.video_container(container_id)
        return _newest_first(
            g
            for g in self.script_generations.values()
            if self.generation_containers[g.id] == container_id
        )

    def script_generation(self, container_id: str, generation_id: str) -> ScriptGeneration:
        self.video_container(container_id)
        if self.generation_containers.get(generation_id) != container_id:
            raise SandboxNotFoundError(f"script generation {generation_id!r}")
        return self.script_generations[generation_id]

    def finish_script_generation(
        self, container_id: str, generation_id: str, *, failed: bool = False
    ) -> ScriptGeneration:
        """Complete (with a generated script) or fail a generation still ``initialized``."""
        generation = self.script_generation(container_id, generation_id)
        if generation.state != ScriptGenerationState.INITIALIZED:
            raise SandboxValidationError(
                {"detail": f"script generation is already {generation.state!s}"}
            )
        if failed:
            changes: dict[str, Any] = {"state": ScriptGenerationState.ERROR}
        else:
            changes = {
                "state": ScriptGenerationState.COMPLETED,
                "script": write_script(generation.prompt_parameters),
            }
        done = attrs.evolve(generation, modified_date_time=self.clock(), **changes)
        return self.add(self.script_generations, done)

    # -- headshots ----------------------------------------------------------------------------

    def create_headshot_container(self, body: Any) -> HeadshotContainer:
        fields = validate(
            body,
            [
                _ref("template", self.headshot_container_templates),
                _ref("user", self.app_users),
                Field("name", required=True),
            ],
        )
        template = self.headshot_container_templates[fields["template"]]
        now = self.clock()
        container = HeadshotContainer(
            id=_new_id(),
            template=template.id,
            template_name=template.name,
            user=fields["user"],
            name=fields["name"],
            description="",
            created_date_time=now,
            modified_date_time=now,
        )
        return self.add(self.headshot_containers, container)

    def headshot_container(self, container_id: str) -> HeadshotContainer:
        return _get(self.headshot_containers, container_id, "headshot container")

    def create_headshot_project(self, body: Any) -> HeadshotProject:
        fields = validate(
            body,
            [
                _ref("headshot_container", self.headshot_containers),
                _ref("user", self.app_users),
            ],
        )
        container = self.headshot_containers[fields["headshot_container"]]
        template = self.headshot_container_templates.get(container.template or "")
        now = self.clock()
        project = HeadshotProject(
            id=_new_id(),
            headshot_container=container.id,
            user=fields["user"],
            state=HeadshotProjectState.CAPTURING,
            user_provided_title=template.default_user_provided_title if template else None,
            created_date_time=now,
            modified_date_time=now,
        )
        return self.add(self.headshot_projects, project)

    def headshot_project(self, project_id: str) -> HeadshotProject:
        return _get(self.headshot_projects, project_id, "headshot project")

    def process_headshot_project(self, project_id: str) -> HeadshotProject:
        """The shots are taken: ``capturing`` -> ``processing``."""
        project = self.headshot_project(project_id)
        if project.state != HeadshotProjectState.CAPTURING:
            raise SandboxValidationError(
                {"detail": f"headshot project is not capturing (state={project.state!s})"}
            )
        processing = attrs.evolve(
            project, state=HeadshotProjectState.PROCESSING, modified_date_time=self.clock()
        )
        return self.add(self.headshot_projects, processing)


def write_script(parameters: Any) -> str:
    """A deterministic stand-in for the AI-written script."""
    params = parameters if isinstance(parameters, dict) else {}
    name, bio = params.get("name"), params.get("bio")
    if isinstance(name, str) and isinstance(bio, str):
        return f"Hi, I'm {name}. {bio}"
    details = ", ".join(f"{key}: {value}" for key, value in sorted(params.items()))
    return f"Hi, this is my profile video. {details}".strip()
