"""The legacy payments API: Flask 3, SQLAlchemy ORM over psycopg2, served by gunicorn."""
