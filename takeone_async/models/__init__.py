"""Typed models of the TakeOne API's resources: frozen, slotted attrs classes.

They compare equal field by field (``extra`` included) and are hashable, so they can be set
members and dict keys: the fields that hold dicts (``extra``, ``publishing_info``,
``preview_info``, raw JSON) are declared ``hash=False``, so equal models hash equal and a model's
hash never changes. ``extra`` holds the fields TakeOne sent that the model does not know, as a
read-only :class:`FrozenDict`; :func:`extra_field` declares it on models of your own.
"""

from ._extra import FrozenDict, extra_field
from .app_users import AppUser, AppUserProject, AppUserState, AppUserStatus, AuthCode
from .headshots import (
    HeadshotContainer,
    HeadshotContainerTemplate,
    HeadshotProject,
    HeadshotProjectState,
)
from .media import (
    PreviewFormat,
    PreviewImages,
    PreviewInfo,
    PublishedImages,
    PublishedVideo,
    PublishingFormat,
    PublishingInfo,
    VideoFormat,
    VideoStream,
)
from .page import Page
from .projects import Project, ProjectState, PublishingStatus, ScriptInclusion, TripodInclusion
from .scripts import ScriptGeneration, ScriptGenerationState, ScriptGenerationTemplate
from .video_containers import (
    ContainerType,
    Inclusion,
    RecordingOrientation,
    VideoContainer,
    VideoContainerTemplate,
)

__all__ = [
    "AppUser",
    "AppUserProject",
    "AppUserState",
    "AppUserStatus",
    "AuthCode",
    "ContainerType",
    "FrozenDict",
    "HeadshotContainer",
    "HeadshotContainerTemplate",
    "HeadshotProject",
    "HeadshotProjectState",
    "Inclusion",
    "Page",
    "PreviewFormat",
    "PreviewImages",
    "PreviewInfo",
    "Project",
    "ProjectState",
    "PublishedImages",
    "PublishedVideo",
    "PublishingFormat",
    "PublishingInfo",
    "PublishingStatus",
    "RecordingOrientation",
    "ScriptGeneration",
    "ScriptGenerationState",
    "ScriptGenerationTemplate",
    "ScriptInclusion",
    "TripodInclusion",
    "VideoContainer",
    "VideoContainerTemplate",
    "VideoFormat",
    "VideoStream",
    "extra_field",
]
