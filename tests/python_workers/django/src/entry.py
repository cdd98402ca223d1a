"""Django's WSGI application served through the Workers SDK's WSGI adapter."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_probe.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402 - the settings module first
from workers import WorkerEntrypoint, wsgi  # noqa: E402

application = get_wsgi_application()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await wsgi.fetch(application, request, self.env)
