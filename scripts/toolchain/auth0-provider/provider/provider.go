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
//   - auth0_role.description defaults to "Managed by Pulumi".
//
// Deliberate differences, so that an object created outside Pulumi and then imported shows no change when it
// means what the program declares:
//   - auth0_client.description has no default in the plugin: pulumi-auth0's "Managed by Pulumi" also replaced an
//     explicitly empty description, so a client without one (the dashboard's default) could never be imported
//     unchanged (the Python SDK still fills it in when a program passes no description at all);
//   - a client grant's diff follows Auth0's semantics (grants.go);
//   - a client grant with neither scopes nor allow_all_scopes is a grant of no scopes, `scopes: []` (grants.go):
//     the bridge drops an empty scope list from an imported grant's inputs, which upstream's check then refused;
//   - AUTH0_M2M_READ_ONLY makes every write fail (readonly.go), for the updates that may only read.
//
// One addition of the project's own: the data source auth0_m2m_build (build_marker.go), by which a program
// tells this build from the official one.
//
// Property names, types and secrets come from the Terraform schema through the bridge, as they do for the
// official build.
package provider

import (
	"github.com/auth0/terraform-provider-auth0/shim"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	tfshim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
)

const managedByPulumi = "Managed by Pulumi"

// Provider returns the bridge configuration for the auth0 provider at the given version.
func Provider(version string) tfbridge.ProviderInfo {
	tf := shim.NewProvider()
	addBuildMarker(tf, version)
	normalizeClientGrantDiffs(tf.ResourcesMap["auth0_client_grant"])
	readOnlyIfAsked(tf)
	prov := tfbridge.ProviderInfo{
		P:           shimv2.NewProvider(tf),
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
			"auth0_role": {Fields: map[string]*tfbridge.SchemaInfo{
				"description": {Default: &tfbridge.DefaultInfo{Value: managedByPulumi}},
			}},
			"auth0_client_grant": {PreCheckCallback: noScopesMeansEmptyScopes},
		},
		Python: &tfbridge.PythonInfo{},
	}
	prov.MustComputeTokens(tokens.SingleModule("auth0_", "index", tokens.MakeStandard("auth0")))
	prov.SetAutonaming(255, "-")
	nameEveryProperty(&prov)
	return prov
}

// nameEveryProperty records, for every Terraform attribute of every resource and data source (nested blocks
// included), the Pulumi name the bridge derives for it anyway (TerraformToPulumiNameV2), so the schema is unchanged.
// Why: without a recorded name the bridge derives it again on every use (inflector pluralization, string building),
// and it maps names on every Check, Diff and result conversion, for every attribute: in a profile of a no-op preview
// of 1,426 resources that was 17 % of the plugin's CPU (perf: tfbridge.terraformToPulumiName). With a recorded name
// the bridge returns it at once.
func nameEveryProperty(prov *tfbridge.ProviderInfo) {
	for token, info := range prov.Resources {
		if res, ok := prov.P.ResourcesMap().GetOk(token); ok {
			info.Fields = nameFields(res.Schema(), info.Fields)
		}
	}
	for token, info := range prov.DataSources {
		if res, ok := prov.P.DataSourcesMap().GetOk(token); ok {
			info.Fields = nameFields(res.Schema(), info.Fields)
		}
	}
}

// nameFields names the attributes of one object (see nameEveryProperty) and, recursively, of its nested blocks:
// an object-typed map's attributes in Fields, a list's or set's element attributes in Elem.Fields, where the bridge
// looks for them. Names are all derived before any is recorded, as the bridge derives them.
func nameFields(schemaMap tfshim.SchemaMap, infos map[string]*tfbridge.SchemaInfo) map[string]*tfbridge.SchemaInfo {
	if infos == nil {
		infos = map[string]*tfbridge.SchemaInfo{}
	}
	names := map[string]string{}
	schemaMap.Range(func(key string, _ tfshim.Schema) bool {
		names[key] = tfbridge.TerraformToPulumiNameV2(key, schemaMap, infos)
		return true
	})
	schemaMap.Range(func(key string, sch tfshim.Schema) bool {
		info := infos[key]
		if info == nil {
			info = &tfbridge.SchemaInfo{}
			infos[key] = info
		}
		if info.Name == "" {
			info.Name = names[key]
		}
		if res, ok := sch.Elem().(tfshim.Resource); ok {
			if sch.Type() == tfshim.TypeMap {
				info.Fields = nameFields(res.Schema(), info.Fields)
			} else {
				if info.Elem == nil {
					info.Elem = &tfbridge.SchemaInfo{}
				}
				info.Elem.Fields = nameFields(res.Schema(), info.Elem.Fields)
			}
		}
		return true
	})
	return infos
}
