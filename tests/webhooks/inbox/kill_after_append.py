"""The example receiver, except that it SIGKILLs itself right after an append returns and
before the answer goes out: the worst moment for a crash."""

from __future__ import annotations

import os
import runpy
import signal
import sys
from pathlib import Path
from typing import Any

from webhooks.inbox import SQLiteInbox

_append = SQLiteInbox.append


async def append_then_die(self: SQLiteInbox, event: Any) -> bool:
    stored = await _append(self, event)
    os.kill(os.getpid(), signal.SIGKILL)
    return stored  # pragma: no cover - never reached


SQLiteInbox.append = append_then_die  # type: ignore[method-assign]
receiver = Path(__file__).resolve().parents[3] / "examples" / "worker" / "receiver.py"
sys.argv = [str(receiver), *sys.argv[1:]]
runpy.run_path(str(receiver), run_name="__main__")
