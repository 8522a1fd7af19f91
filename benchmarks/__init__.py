"""Benchmarks: predbench against a straightforward eager implementation, measured in one run."""
