"""Parts of the local Slack stand-in; :mod:`bot.slack_standin` puts them together."""
