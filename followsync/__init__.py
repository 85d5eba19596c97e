"""followsync: keeps a job seeker's application tracker following up for them."""

__version__ = "0.1.0"

import logging as _logging

# Library use stays quiet unless the application configures logging (the CLI's -v does).
_logging.getLogger("followsync").addHandler(_logging.NullHandler())
