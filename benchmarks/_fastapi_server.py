"""The receiver benchmark's peer: a FastAPI endpoint under uvicorn, run as its own process.

``python -m benchmarks._fastapi_server`` serves ``POST /webhooks`` on 127.0.0.1 the way a FastAPI
user would write it: the query token checked by a dependency (constant-time compare, 401 when
wrong), the body parsed into the pydantic model of the event (``_peers.PydanticEvent``), 204.
uvicorn runs one worker with httptools and the asyncio event loop (as the aiohttp servers do),
access log off; it prints ``PORT <n>`` and runs until its standard input closes.
"""

from __future__ import annotations

import asyncio
import secrets
import socket

import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Query, Response

from ._peers import PydanticEvent
from ._process import until_stdin_closes
from ._receiver_server import PATH, TOKEN, TOKEN_NAME


def check_token(token: str = Query(default="", alias=TOKEN_NAME)) -> None:
    """Refuse a request whose query token is not ours."""
    if not secrets.compare_digest(token.encode(), TOKEN.encode()):
        raise HTTPException(status_code=401, detail="bad token")


app = FastAPI()


@app.post(PATH, status_code=204, dependencies=[Depends(check_token)])
async def receive(event: PydanticEvent) -> Response:
    return Response(status_code=204)


async def _serve() -> None:
    config = uvicorn.Config(
        app,
        http="httptools",
        loop="asyncio",
        workers=1,
        access_log=False,
        log_level="warning",
        lifespan="off",
        backlog=1024,
    )
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(30):
        while not server.started:
            if serving.done():
                await serving  # raises what stopped it
                raise RuntimeError("uvicorn stopped before serving")
            await asyncio.sleep(0.01)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    await until_stdin_closes()
    server.should_exit = True
    await serving


if __name__ == "__main__":
    asyncio.run(_serve())
