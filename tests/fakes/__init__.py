"""Test doubles that real clients talk to over loopback (no network, no mocks of our own code)."""
