"""The simulated ad platform: the embedded default data source and action target.

Run it with ``python -m simulator``; build the app in tests with ``simulator.app.create_app()``.
"""
