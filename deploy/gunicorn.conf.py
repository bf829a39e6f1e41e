"""Gunicorn settings for production (and `make run`). Override with GUNICORN_* environment variables."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One process per core, four threads each: the app is CPU-bound Python (PostgreSQL and Redis answer in well under a
# millisecond), so more processes only add switching and connections (bench forms on 2 cores: 2 x 4 answered
# 146-173/s where the old 2 * cores + 1 = 5 x 4 answered 131-145/s, with more CPU per submission).
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
preload_app = True  # workers fork from a warm master (config/wsgi.py)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
access_log_format = '{"time":"%(t)s","method":"%(m)s","path":"%(U)s","status":%(s)s,"bytes":"%(B)s","ms":%(M)s,"ip":"%(h)s"}'
