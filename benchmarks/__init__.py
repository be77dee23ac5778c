"""Ratio benchmarks: each script answers one question against a baseline measured in the same run.

Run them all with ``python -m benchmarks`` (writes benchmarks/RESULTS.md) or one with
``python -m benchmarks.decode`` (prints its table). ``--quick`` runs few rounds: it proves the
scripts work and its figures are not meant to be quoted.
"""
