"""Role and permission checks for routers and handlers."""
