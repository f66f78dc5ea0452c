"""Queue side: the Celery app, the in-process queue, and thin tasks that take ids and call the engine."""
