"""The Meta adapter, through the official ``facebook-business`` SDK (docs/platforms.md).

The only package that imports ``facebook_business``.
"""

from platforms.meta.adapter import MetaPlatform

__all__ = ["MetaPlatform"]
