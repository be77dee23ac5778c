"""Pure pagination: DRF's page numbers, absolute links, and the edges."""

from __future__ import annotations

import pytest

from takeone_async.sandbox import SandboxNotFoundError
from takeone_async.sandbox._pages import paginate

URL = "http://127.0.0.1:8787/api/v1/app_users"


def page(count: int, query: list[tuple[str, str]] | None = None, size: int = 2) -> dict:
    return paginate(list(range(count)), URL, query or [], page_size=size, max_page_size=5)


def test_an_empty_list_is_one_empty_page() -> None:
    assert page(0) == {"count": 0, "next": None, "previous": None, "results": []}


def test_an_exact_multiple_of_the_page_size_has_no_empty_last_page() -> None:
    first = page(4)
    assert first == {"count": 4, "next": f"{URL}?page=2", "previous": None, "results": [0, 1]}
    last = page(4, [("page", "2")])
    assert last == {"count": 4, "next": None, "previous": URL, "results": [2, 3]}
    with pytest.raises(SandboxNotFoundError):
        page(4, [("page", "3")])


def test_the_last_page_holds_the_remainder_and_links_back_keeping_the_filters() -> None:
    query = [("external_id", "a b"), ("page", "3")]
    last = page(5, query)
    assert last["results"] == [4]
    assert last["next"] is None
    assert last["previous"] == f"{URL}?external_id=a+b&page=2"
    assert page(5, [("page", "last")])["results"] == [4]


def test_page_size_in_the_query_overrides_the_default_up_to_the_maximum() -> None:
    assert page(9, [("page_size", "3")])["results"] == [0, 1, 2]
    assert page(9, [("page_size", "3")])["next"] == f"{URL}?page=2&page_size=3"
    assert len(page(9, [("page_size", "50")])["results"]) == 5
    for ignored in ("0", "-1", "many"):
        assert page(9, [("page_size", ignored)])["results"] == [0, 1]


@pytest.mark.parametrize("number", ["0", "-2", "two", "99"])
def test_an_invalid_page_is_a_404_with_drf_detail(number: str) -> None:
    with pytest.raises(SandboxNotFoundError) as caught:
        page(3, [("page", number)])
    assert caught.value.status == 404
    assert caught.value.body == {"detail": "Invalid page."}
