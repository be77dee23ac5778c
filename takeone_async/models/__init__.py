"""Typed models of the TakeOne API's resources: frozen, slotted attrs classes.

They compare equal field by field (``extra`` included) and are hashable, so they can be set
members and dict keys; the hash leaves out ``extra`` and the other mappings (dicts, which can
change), so equal models hash equal and a model's hash never changes (see ``_hash``).
"""

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
]
