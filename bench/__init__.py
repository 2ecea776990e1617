"""Benchmarks: each module measures a target next to a baseline taken in the same run."""
