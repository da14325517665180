"""Business rules, one module per area. They know nothing of aiogram."""
