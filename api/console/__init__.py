"""The reviewer console: server-rendered pages for reviewers, under /console of the API."""

from api.console.routes import install

__all__ = ["install"]
