"""Benchmarks of the pipeline against reference tools, on a generated corpus.

Run ``python -m benchmarks`` (see :mod:`benchmarks.__main__`); the older single-stage
scripts (``bench_strip``, ``bench_dedup``, ``bench_html``) still run on their own.
"""
