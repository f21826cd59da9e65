// pulumi-tfgen-auth0 writes the Pulumi schema of the auth0 provider (`pulumi-tfgen-auth0 schema --out DIR`).
// scripts/bootstrap runs it once per build; the provider binary embeds the result.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"local.invalid/auth0-provider/provider"
)

var version = "0.0.0-dev" // set with -ldflags "-X main.version=..."

func main() {
	tfgen.Main("auth0", version, provider.Provider(version))
}
