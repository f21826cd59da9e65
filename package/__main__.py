"""Entry point of the auth0-m2m component package: the Pulumi engine starts it through the Python language host."""

from auth0_m2m.resources.package import main

if __name__ == "__main__":
    main()
