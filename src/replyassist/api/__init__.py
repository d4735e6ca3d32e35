"""The replyassist HTTP API (FastAPI): ``create_app(assistant, config=ApiConfig.load())``.

See ``docs/api.md`` for the endpoints, the keys file and the error shape.
"""

from .app import API_PREFIX, create_app
from .config import ApiConfig, KeySpec
from .serve import app_from_env

__all__ = ["API_PREFIX", "ApiConfig", "KeySpec", "app_from_env", "create_app"]
