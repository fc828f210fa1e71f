"""The package's version, in a module of its own so that any module can read it without importing the package's
public facade (which imports the pipeline)."""

__version__ = "0.1.0"
