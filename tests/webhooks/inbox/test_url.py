"""open_inbox: a URL names the backend and its options; bad URLs are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from webhooks.inbox import InboxError, MemoryInbox, RedisStreamInbox, SQLiteInbox, open_inbox
from webhooks.inbox._url import redact


def test_sqlite_urls_are_relative_with_three_slashes_and_absolute_with_four() -> None:
    relative = open_inbox("sqlite:///data/inbox.db")
    absolute = open_inbox("sqlite:////var/lib/inbox.db?synchronous=NORMAL&visibility_timeout=5")
    assert isinstance(relative, SQLiteInbox)
    assert isinstance(absolute, SQLiteInbox)
    assert relative.path == Path("data/inbox.db")
    assert (absolute.path, absolute.synchronous, absolute.visibility_timeout) == (
        Path("/var/lib/inbox.db"),
        "NORMAL",
        5.0,
    )


def test_redis_urls_take_stream_group_and_timeouts_from_the_query() -> None:
    inbox = open_inbox("redis://:pw@127.0.0.1:6379/2?stream=hooks&group=g&visibility_timeout=9")
    assert isinstance(inbox, RedisStreamInbox)
    assert (inbox.stream, inbox.group, inbox.visibility_timeout) == ("hooks", "g", 9.0)
    assert inbox.url == "redis://:***@127.0.0.1:6379/2"


def test_memory_url() -> None:
    assert isinstance(open_inbox("memory://"), MemoryInbox)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://db/x", "unknown inbox scheme 'postgres'"),
        ("inbox.db", "expected sqlite:///path"),
        ("sqlite://", "expected sqlite:///path"),
        ("sqlite:///", "expected sqlite:///path/to/inbox.db"),
        ("sqlite:///x.db?visibility_timeout=soon", "'visibility_timeout' must be a number"),
        ("sqlite:///x.db?colour=blue", "unexpected keyword argument 'colour'"),
        ("sqlite:///x.db?synchronous=OFF", "synchronous must be 'FULL' or 'NORMAL'"),
        ("redis://:topsecret@h/0?bogus=1", "open_inbox('redis://:***@h/0?bogus=***')"),
        ("redis://:topsecret@[::1/0", "open_inbox('redis://***@[::1/0'): Invalid IPv6 URL"),
        (
            "redis://:topsecret@h:port/0",
            "open_inbox('redis://:***@h:port/0'): RedisStreamInbox: Port could not",
        ),
        ("redis://[::1/0", "open_inbox('redis://[::1/0'): Invalid IPv6 URL"),
    ],
)
def test_bad_urls_are_inbox_errors_naming_the_problem(url: str, message: str) -> None:
    with pytest.raises(InboxError) as caught:
        open_inbox(url)
    assert message in str(caught.value)
    assert "topsecret" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://u:p@h:1/0", "redis://u:***@h:1/0"),
        ("redis://:p@h/0", "redis://:***@h/0"),
        ("redis://h/0", "redis://h/0"),
        ("sqlite:///x.db", "sqlite:///x.db"),
        ("redis://u:p@w@[::1]:6379/0", "redis://u:***@[::1]:6379/0"),
        ("redis://:p@h:port/0", "redis://:***@h:port/0"),  # unparsable port
        ("redis://u:p@[::1/0", "redis://***@[::1/0"),  # unparsable host: all before @ hidden
        ("redis://[::1/0", "redis://[::1/0"),
        ("redis://t0ken@h:1/0", "redis://***@h:1/0"),  # a lone user name may be the secret
    ],
)
def test_redact_hides_only_the_password(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_the_package_names_only_what_it_exports() -> None:
    import webhooks.inbox

    assert webhooks.inbox.RedisStreamInbox is RedisStreamInbox
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = webhooks.inbox.Nope  # type: ignore[attr-defined]
