"""The templates the sandbox starts with: the documented examples, as the provider configures them."""

from __future__ import annotations

from typing import Any

__all__ = [
    "HEADSHOT_CONTAINER_TEMPLATES",
    "SCRIPT_GENERATION_TEMPLATES",
    "VIDEO_CONTAINER_TEMPLATES",
    "WEBHOOK_EXAMPLE",
]

VIDEO_CONTAINER_TEMPLATES: list[dict[str, Any]] = [
    {
        "id": "f0531cd1-e90a-4a4c-8857-406dc5414c1d",
        "container_type": "subscription",
        "name": "Psychology Today Video",
        "description": "This is a short video that can be uploaded to Psychology Today. It should "
        "be no longer than 14 seconds.",
        "video_hosting_enabled": True,
        "video_download_enabled": False,
        "manager_review_required": False,
        "video_format": "portrait",
        "video_formats": ["portrait"],
        "recording_video_orientation": "portrait",
        "subtitles_inclusion": "no",
        "lower_thirds_inclusion": "no",
        "music_inclusion": "no",
        "is_active": True,
        "language": "en",
        "default_manager_provided_script": (
            "Hi, I\u2019m (insert name), I am an (credentials) based in (location). "
            "I specialize in (top 1-3 conditions). I look forward to connecting with you."
        ),
        "default_user_provided_title": "Psychology Today Video",
        "created_date_time": "2025-07-22T02:29:50.788397Z",
        "modified_date_time": "2025-07-22T02:37:27.570049Z",
    },
    {
        "id": "3c0a6647-d7a8-4859-88aa-85d36f21da23",
        "container_type": "subscription",
        "name": "Profile Video",
        "description": "This is the description for your profile video. It should be 30-90 seconds "
        "and give the user an idea of who you are.",
        "video_hosting_enabled": True,
        "video_download_enabled": True,
        "manager_review_required": False,
        "video_format": "landscape",
        "video_formats": ["landscape"],
        "recording_video_orientation": "landscape",
        "subtitles_inclusion": "defer_to_user",
        "lower_thirds_inclusion": "defer_to_user",
        "music_inclusion": "defer_to_user",
        "is_active": True,
        "language": "en",
        "default_manager_provided_script": "Hi, my name is",
        "default_user_provided_title": "Profile Video",
        "created_date_time": "2023-06-08T06:31:50.760447Z",
        "modified_date_time": "2025-07-22T22:24:08.171029Z",
    },
]

SCRIPT_GENERATION_TEMPLATES: list[dict[str, Any]] = [
    {
        "id": "ce32c900-e7b2-49f6-8bde-2ef1c268b22d",
        "name": "Bio Script",
        "description": "This prompt will take user's name and bio to generate a 90-second profile "
        "video script.",
        "video_container_template": "3c0a6647-d7a8-4859-88aa-85d36f21da23",
        "prompt_parameters_schema": {
            "$id": "https://takeone.video/schemas/coloring/parameters/0.2.0",
            "type": "object",
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "required": ["name", "bio"],
            "properties": {"bio": {"type": "string", "minLength": 10}, "name": {"type": "string"}},
        },
        "active": True,
        "created_date_time": "2024-01-23T23:48:24.959108Z",
        "modified_date_time": "2024-01-23T23:48:24.959124Z",
    }
]

HEADSHOT_CONTAINER_TEMPLATES: list[dict[str, Any]] = [
    {
        "id": "92d5ad79-19e3-4029-8eba-3e829692810c",
        "container_type": "subscription",
        "is_active": True,
        "name": "Headshot",
        "description": "",
        "default_user_provided_title": "Headshot",
        "image_download_enabled": True,
        "manager_review_required": False,
        "number_of_shots": 3,
        "image_capture_orientation": "portrait",
        "output_image_formats": ["square"],
        "output_image_width": 768,
        "created_date_time": "2025-02-28T18:49:11.563442Z",
        "modified_date_time": "2025-05-08T16:52:53.984773Z",
    }
]

# The documented example's media: one stream manifest and one set of preview images for every
# format, the same in the project and the container summaries.
_STREAM_SRC = "https://customer-xxxxxx.cloudflarestream.com/xxxxxx/manifest/video.m3u8"
_HLS = "application/x-mpegURL"


def _images() -> dict[str, str]:
    base = "https://imagedelivery.net/xxxxxx/xxxxxx"
    return {
        "original": f"{base}/original",
        "high_res": f"{base}/3840",
        "medium_res": f"{base}/1920",
    }


def _video_stream(video_format: str) -> dict[str, Any]:
    """A ``published_video_stream`` / ``video_stream`` object."""
    return {
        "src": _STREAM_SRC,
        "type": _HLS,
        "video_format": video_format,
        "preview_images": _images(),
    }


def _publishing_info(*formats: str) -> dict[str, Any]:
    """A ``publishing_info`` object: the video and images of each format."""
    return {f: {"video": {"src": _STREAM_SRC, "type": _HLS}, "images": _images()} for f in formats}


# The documented webhook body (examples/webhook_project_published.json): the base of sample events.
WEBHOOK_EXAMPLE: dict[str, Any] = {
    "type": "project_published",
    "timestamp": 1714493662,
    "project": {
        "id": "694be4b1-ef0b-4a73-8b39-bba8915fa13f",
        "video_container": "7fd3964f-9f4b-49f4-a2d7-74c2927498b7",
        "user": "2a55b35f-612c-4bed-9409-1f0350e1a9d0",
        "state": "completed",
        "publishing_status": "published",
        "language": "en",
        "created_date_time": "2024-04-26T22:16:41.432197Z",
        "modified_date_time": "2024-04-30T16:10:59.412675Z",
        "published_video_stream": _video_stream("landscape"),
        "publishing_info": _publishing_info("portrait", "landscape"),
    },
    "video_container": {
        "id": "7fd3964f-9f4b-49f4-a2d7-74c2927498b7",
        "template": "3c0a6647-d7a8-4859-88aa-85d36f21da23",
        "hotlinking_protection_enabled": False,
        "allowed_origins": [],
        "language": "en",
        "created_date_time": "2024-04-26T22:16:41.127624Z",
        "modified_date_time": "2024-04-26T22:16:41.127644Z",
        "video_stream": _video_stream("landscape"),
        "publishing_info": _publishing_info("portrait", "landscape"),
    },
}
