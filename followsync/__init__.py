"""followsync: keeps a job seeker's application tracker following up for them."""

__version__ = "0.1.0"
