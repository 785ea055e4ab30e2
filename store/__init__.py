"""Persistence: SQLAlchemy 2 async models, the Store repository and Alembic migrations.

Usage: ``store = await open_store(settings.database_url)``; see store/repository.py.
"""

from store.records import CampaignRecord, RecommendationRecord
from store.repository import Store, open_store

__all__ = ["CampaignRecord", "RecommendationRecord", "Store", "open_store"]
