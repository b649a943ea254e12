"""Shared loopback servers, fixtures and helpers of the test suite, kept apart from the test
files (tests/<app>/) so that test files and bench/ import them, never each other."""
