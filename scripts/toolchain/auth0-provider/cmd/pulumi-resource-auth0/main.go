// pulumi-resource-auth0 is the auth0 resource plugin. schema-embed.json is generated at build time by
// scripts/bootstrap (pulumi-tfgen-auth0 output with "version" set) and is not checked in.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"local.invalid/auth0-provider/provider"
)

var version = "0.0.0-dev" // set with -ldflags "-X main.version=..."

//go:embed schema-embed.json
var pulumiSchema []byte

func main() {
	tfbridge.Main("auth0", version, provider.Provider(version), pulumiSchema)
}
