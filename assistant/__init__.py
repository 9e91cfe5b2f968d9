"""policyqa: cited, figure-exact answers about Chinese government policy notices."""
from .assistant import Assistant
from .errors import PolicyQAError
from .settings import Settings, load_settings
from .types import Answer, Citation, Hit, Message, Notice, Unit

__all__ = ["Assistant", "Answer", "Citation", "Hit", "Message", "Notice", "PolicyQAError", "Settings",
           "Unit", "load_settings"]
__version__ = "0.1.0"
