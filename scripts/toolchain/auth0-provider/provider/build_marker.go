//go:build !auth0m2m_upstream_standin

package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-sdk/v2/diag"
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
)

// BuildMarkerDataSource is the Terraform name of the data source that identifies this build. Through the bridge
// it is the function auth0:index/getM2mBuild:getM2mBuild, which the official pulumi-auth0 plugin does not have:
// the auth0-m2m library invokes it before it registers anything, so it always knows whether the plugin that
// serves its resources carries the fixes below (a plugin without it answers "unrecognized data function").
const BuildMarkerDataSource = "auth0_m2m_build"

// buildFixes are the behaviours of this build that upstream lacks; scripts/bootstrap fails when a patch that
// provides one of them does not apply, so a plugin that answers the marker has all of them.
var buildFixes = []string{
	// An organization's link to a client grant is read with the `grant_ids` filter, not from the
	// organization's first page of 50 links.
	"organization-client-grant-read-by-grant-id",
}

// addBuildMarker adds the marker data source to the Terraform provider. It reads nothing from the tenant.
func addBuildMarker(p *schema.Provider, version string) {
	p.DataSourcesMap[BuildMarkerDataSource] = &schema.Resource{
		Description: "The auth0-m2m build of the auth0 provider: its version and the fixes it carries. " +
			"Makes no request to the tenant.",
		ReadContext: func(_ context.Context, d *schema.ResourceData, _ interface{}) diag.Diagnostics {
			d.SetId("auth0-m2m")
			if err := d.Set("version", version); err != nil {
				return diag.FromErr(err)
			}
			if err := d.Set("fixes", buildFixes); err != nil {
				return diag.FromErr(err)
			}
			return nil
		},
		Schema: map[string]*schema.Schema{
			"version": {
				Type:        schema.TypeString,
				Computed:    true,
				Description: "The plugin version this build was made as.",
			},
			"fixes": {
				Type:        schema.TypeList,
				Elem:        &schema.Schema{Type: schema.TypeString},
				Computed:    true,
				Description: "Fixes this build carries over upstream terraform-provider-auth0.",
			},
		},
	}
}
