"""The package version, kept in one place (read by pyproject.toml)."""

__version__ = "1.0.0"
