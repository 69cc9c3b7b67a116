"""The handlers: one module per resource family, one function per route of ``routes.ROUTES``.

Each one is thin -- it parses the request (path parameters, query, JSON or multipart body), calls
the ``backend``, and renders the answer with ``views`` -- and takes ``(app, req)`` and returns a
``wire.Response``. Handlers never import each other and never touch the store.
"""
