// Package provider maps terraform-provider-auth0 into a Pulumi provider named "auth0".
//
// This file is the project's own, written for scripts/bootstrap (see the README section "Toolchain: Pulumi
// without Pulumi's download servers"). The official pulumi-auth0 provider module cannot be fetched here (the Go
// module proxy serves none of its untagged pseudo-versions), so the bootstrap builds the same upstream Terraform
// provider with the same bridge mechanism and this mapping. The mapping follows the rules the pulumi-auth0 Python
// SDK was generated with:
//   - every auth0_<x> resource becomes auth0:index/<camel x>:<Pascal x> and every data source
//     auth0:index/get<Pascal x>:get<Pascal x> (tokens.MakeStandard in one "index" module);
//   - a `name` input that is left out is auto-named "<logical name>-<7 random hex chars>" (SetAutonaming);
//   - auth0_client.description and auth0_role.description default to "Managed by Pulumi".
//
// Property names, types and secrets come from the Terraform schema through the bridge, as they do for the
// official build.
package provider

import (
	"github.com/auth0/terraform-provider-auth0/shim"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
)

const managedByPulumi = "Managed by Pulumi"

// Provider returns the bridge configuration for the auth0 provider at the given version.
func Provider(version string) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:           shimv2.NewProvider(shim.NewProvider()),
		Name:        "auth0",
		DisplayName: "Auth0",
		Version:     version,
		Description: "A Pulumi package for creating and managing auth0 cloud resources.",
		Keywords:    []string{"pulumi", "auth0"},
		License:     "Apache-2.0",
		Homepage:    "https://pulumi.io",
		Repository:  "https://github.com/pulumi/pulumi-auth0",
		GitHubOrg:   "auth0",
		Publisher:   "Pulumi",
		Resources: map[string]*tfbridge.ResourceInfo{
			"auth0_client": {Fields: map[string]*tfbridge.SchemaInfo{
				"description": {Default: &tfbridge.DefaultInfo{Value: managedByPulumi}},
			}},
			"auth0_role": {Fields: map[string]*tfbridge.SchemaInfo{
				"description": {Default: &tfbridge.DefaultInfo{Value: managedByPulumi}},
			}},
		},
		Python: &tfbridge.PythonInfo{},
	}
	prov.MustComputeTokens(tokens.SingleModule("auth0_", "index", tokens.MakeStandard("auth0")))
	prov.SetAutonaming(255, "-")
	return prov
}
