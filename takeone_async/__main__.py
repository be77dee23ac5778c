"""``python -m takeone_async``: the ``takeone`` command."""

from .cli import main

raise SystemExit(main())
