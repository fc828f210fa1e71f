"""Running the project's Alembic history: its configuration and revision graph, env.py, and stepping through revisions."""
