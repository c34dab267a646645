"""gunicorn settings of ``bin/start`` (``gunicorn -c src/totalquota/gunicorn_conf.py --bind ADDRESS``).

Two cores: two worker processes (one keeps answering while the other renders a PDF or reads an
import) with four threads each for requests that mostly wait on the database. ``WEB_WORKERS`` and
``WEB_THREADS`` override. The address comes from the command line (bin/start: ``PORT``).

Beside the web workers the master starts one background worker (django-tasks' ``db_worker``),
which delivers the outbox's events to their handlers; it stops with the master.
``OUTBOX_WORKER=0`` leaves it out (when the worker runs elsewhere, e.g. under systemd).
"""

import os
import subprocess
import sys
from pathlib import Path

wsgi_app = "totalquota.wsgi:application"
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# A bulletin PDF or an XLSX import of a few thousand rows may take a while on a busy machine.
timeout = 120
graceful_timeout = 30
# Nothing stands in front of it: no X-Forwarded-* header is believed, from any address.
forwarded_allow_ips = ""
# No control socket under ~/.gunicorn: two platforms on one machine would fight over it.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = "warning"


def on_starting(server):
    if os.environ.get("OUTBOX_WORKER", "1") == "0":
        return
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    server.outbox_worker = subprocess.Popen(
        [sys.executable, str(manage), "db_worker", "--no-reload", "--interval", "2", "-v", "0"]
    )


def on_exit(server):
    worker = getattr(server, "outbox_worker", None)
    if worker is not None and worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=graceful_timeout)
        except subprocess.TimeoutExpired:
            worker.kill()
