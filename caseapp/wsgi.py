"""The WSGI application gunicorn serves."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseapp.settings")

application = get_wsgi_application()

# Everything loaded so far (Django, the app, its templates' code) lives as long as the
# process: move it out of the garbage collector's sight, so that a full collection during a
# request scans only that request's objects. The benchmark's p95 fell with it (issue 5).
gc.freeze()
