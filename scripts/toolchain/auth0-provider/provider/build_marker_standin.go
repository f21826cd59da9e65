//go:build auth0m2m_upstream_standin

package provider

import "github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

// The stand-in for the official plugin (scripts/bootstrap --upstream-standin, used by tests only) has no
// marker: like the official build, it answers the marker function with "unrecognized data function".
func addBuildMarker(*schema.Provider, string) {}
