"""Clearance: every outbound item passes an information-security review before it is published.

The core package holds the domain and imports neither Flask nor Prefect.
"""

__version__ = "0.1.0"
