"""The operator tools: the `auth0-m2m` command line, access report and diff, access check, recovery, and the
Management API and Pulumi CLI readers they share. Installed with the ``tools`` extra (``auth0-m2m[tools]``)."""
