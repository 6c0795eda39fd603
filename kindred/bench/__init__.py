"""Benchmarks: ``make bench`` / ``./dev bench`` runs ``python -m kindred.bench``.

See docs/benchmarks.md for what is measured and how to read the numbers.
"""
