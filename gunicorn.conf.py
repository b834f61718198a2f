"""gunicorn's settings for jiamenkou (``gunicorn --config gunicorn.conf.py wsgi:app``; docs/deploy.md).

Settings given on the command line win over these.
"""

# gunicorn's own limit (4,094 bytes by default) answers a long URL with its bare HTML 414 before the app
# sees it. Its maximum, about twice the app's limit (volunteer_app.validation.MAX_URL_BYTES, 4,096 bytes),
# lets such a URL through to the app, which answers it in the API's error shape or as a page; only request
# lines longer than this still get gunicorn's page.
limit_request_line = 8190
