"""Policies of the auth0-m2m CrossGuard policy pack (see policy/README.md)."""
