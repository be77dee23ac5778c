"""The README's MockTransport example, verbatim: a test of code that uses the client, with no
network. pytest runs it as it stands."""

from takeone_async import TakeOneClient
from takeone_async.transport import MockTransport, Request, Response


def handler(request: Request) -> Response:
    if request.method == "GET" and request.url.endswith("/api/v1/app_users/u1"):
        return Response(200, {"Content-Type": "application/json"}, b'{"id": "u1"}')
    return Response(404, body=b'{"detail": "Not found."}')


async def test_get_user() -> None:
    async with TakeOneClient("id", "secret", transport=MockTransport(handler)) as client:
        assert (await client.app_users.get("u1")).id == "u1"
