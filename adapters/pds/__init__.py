"""Patient directories: NHS number → the ODS code of the registered practice."""

from adapters.pds.directory import PdsDirectory, TokenProvider
from adapters.pds.static import StaticDirectory

__all__ = ["PdsDirectory", "StaticDirectory", "TokenProvider"]
