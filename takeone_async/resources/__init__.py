"""The resource groups hung on :class:`TakeOneClient`: thin, one method per endpoint."""

from .app_users import AppUsers
from .headshots import HeadshotContainers, HeadshotContainerTemplates, HeadshotProjects
from .projects import Projects
from .scripts import ScriptGenerations, ScriptGenerationTemplates
from .video_containers import VideoContainers, VideoContainerTemplates

__all__ = [
    "AppUsers",
    "HeadshotContainerTemplates",
    "HeadshotContainers",
    "HeadshotProjects",
    "Projects",
    "ScriptGenerationTemplates",
    "ScriptGenerations",
    "VideoContainerTemplates",
    "VideoContainers",
]
