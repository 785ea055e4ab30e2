"""The ad-platform port and its adapters (DESIGN §3, §11).

``platforms.port`` is the interface the activities use; ``platforms.simulator``,
``platforms.google_ads`` and ``platforms.meta`` implement it; ``platforms.registry`` picks one per
campaign from the configuration. A platform's SDK is imported only inside its adapter package.
"""
