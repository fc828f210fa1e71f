"""Provisioning the throwaway PostgreSQL: the server (given or embedded), the scratch database, clean stops, and reflection snapshots."""
