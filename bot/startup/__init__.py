"""Start-up: the pieces `python -m bot` puts together (dispatcher, runner, polling or webhook,
scheduler, health, leader lock) and its other commands (migrate, restore, audit verify)."""
