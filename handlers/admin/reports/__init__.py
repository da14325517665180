"""📊 Reports (permission `reports`): the menu, the pickers, the custom range form."""

from handlers.admin.reports.menu import create_router

__all__ = ["create_router"]
