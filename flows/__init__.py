"""Prefect flows that wire the library's batch stages into tasks."""
