"""SQL of the payments API, one module per resource; async, on asyncpg connections."""
