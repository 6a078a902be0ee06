"""Test infrastructure shared by the suites: real databases, servers on loopback, helpers."""
