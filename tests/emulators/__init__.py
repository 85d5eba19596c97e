"""Loopback emulators of the web APIs followsync talks to, for tests and benchmarks without the internet."""
