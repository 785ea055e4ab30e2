"""The portfolio review (DESIGN §9): campaigns against their targets, experiments, the agent's
own KPIs, the ROI ledger, risk signals and a prioritised, quantified recommendation list.

Pure code: the workflow's activities collect what it needs (ad platform, our store) and call
``review.review_portfolio``; rendering the markdown is ``report.py``, the executive summary's
number check ``summary.py``."""
