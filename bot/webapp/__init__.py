"""The Mini App: a JSON API and a small static front end, served by the bot's own aiohttp
application (the webhook server's when there is one, else its own on WEBAPP_LISTEN).

Every API request is signed in by Telegram's initData (auth.py); the routes (api/) call the
same services and access rules as the chat's handlers, and their texts come from the same
gettext catalogs.
"""
