"""Ratio benchmarks against what a user would pick instead, each measured in the same run.

The client against hand-written aiohttp + pydantic and an httpx + pydantic client, the receiver
against a FastAPI endpoint and a bare aiohttp handler; floors and decode alone as information.
Run them all with ``python -m benchmarks`` (writes benchmarks/RESULTS.md, budgets table first) or
one with ``python -m benchmarks.client`` (prints its section). ``--quick`` runs few rounds: it
proves the scripts work and its figures are not meant to be quoted. The peers are the ``bench``
extra (``pip install -e '.[bench]'``; ``dev`` includes it).
"""
