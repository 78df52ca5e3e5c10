"""The newsroom domain: fetching, extraction, wire copy, summaries, topics, questions.

Pure Python: imports neither ``slack_*`` nor ``sqlalchemy``.
"""
