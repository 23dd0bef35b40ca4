"""The FastAPI port of Bookshelf, in progress: the book routes, on SQLAlchemy 2 async.

Login, the page and ``/api/me`` are still Flask's; the port reads the Flask session cookie
flask-login writes (signed with the same ``SECRET_KEY``) to know who is logged in.
"""
