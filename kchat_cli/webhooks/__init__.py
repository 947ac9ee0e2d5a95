"""`kchat serve`: the messaging platform's webhooks, received over HTTP (Starlette on uvicorn),
a front end beside the command line and the console. Each signed request's events go the
way `kchat ingest` takes them (the same checks, each event applied once), committed together
with the requests that arrived at the same moment, and answered only once committed."""
