"""A local Auth0 tenant emulator.

It serves the parts of the Auth0 Management API v2 and of the Authentication API
(``POST /oauth/token`` with ``client_credentials``) that the pulumi-auth0 provider
and this project's access checks use, over HTTPS, with its tenant state kept in
SQLite.  It decides tokens from that stored state with its own code: it must not
import the project's library (``auth0_m2m``), because the two are cross-checked.
"""

__version__ = "0.1.0"
