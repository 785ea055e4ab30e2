"""The Google Ads adapter, through the official ``google-ads`` library (docs/platforms.md).

The only package that imports ``google.ads``, ``google.auth`` or ``grpc``.
"""

from platforms.google_ads.adapter import GoogleAdsPlatform

__all__ = ["GoogleAdsPlatform"]
