"""xentui: a console for XenServer / XCP-ng pools in trouble."""

__version__ = "0.1.0"
