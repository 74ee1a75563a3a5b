"""The operator console at /admin: server-rendered pages over the same use cases as the admin
API, for admins signed in with their token."""
