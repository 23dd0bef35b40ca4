"""Run the side-by-side deployment on one machine: legacy under gunicorn, the port under
uvicorn, the router in remote mode in front, and the flag provider, each supervised.

Exception tree::

    DeployError            anything ``strangler up`` cannot start or keep running
     +-- UpConfigError     a bad ``[up]`` table or option
     +-- StartupError      a process did not become healthy in time

Example:
    >>> from strangler.deploy.settings import load_up_settings
    >>> load_up_settings({"up": {"router_workers": 4}}, {}).router_workers
    4
"""

from __future__ import annotations


class DeployError(Exception):
    """Base of every error ``strangler up`` raises."""


class UpConfigError(DeployError):
    """The ``[up]`` table or a command-line option has a bad value."""


class StartupError(DeployError):
    """A supervised process exited or did not answer its health check in time."""


__all__ = ["DeployError", "StartupError", "UpConfigError"]
