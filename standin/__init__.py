"""The local Slack stand-in: Slack's Web API, signed event and interaction delivery, Block
Kit checks and faults, on loopback. ``newsdesk console``, the tests and the benchmarks talk to
the real app through it; production wiring never imports it.

``standin.slack`` puts the parts together (``SlackStandin``); ``standin.workspace`` holds the
channels, users and messages; ``standin.webapi`` serves the Web API; ``standin.delivery``
signs and posts requests to the app; ``standin.blockkit`` checks Block Kit as Slack does.
"""
