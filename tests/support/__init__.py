"""Helpers shared by the test suites: throwaway PostgreSQL clusters, HQ subprocesses."""
