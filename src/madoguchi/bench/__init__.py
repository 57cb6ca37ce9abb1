"""Benchmarks behind ``madoguchi bench``; see ``madoguchi.cli.bench`` for the module contract."""
