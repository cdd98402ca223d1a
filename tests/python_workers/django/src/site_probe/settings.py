SECRET_KEY = "not-a-secret: django-probe answers only in tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "site_probe.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
USE_TZ = True
