"""The gate's checks: single head, env.py metadata, drift against the models, the head-schema rules, and the database half that runs them."""
