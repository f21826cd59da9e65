package provider

import (
	"context"
	"os"

	"github.com/hashicorp/terraform-plugin-sdk/v2/diag"
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
)

// ReadOnlyEnv turns the plugin into a reader: every create, update and delete fails before any request.
//
// `auth0-m2m import` (and its state-only repair) bring existing tenant objects into a stack's state with an
// update that must only read. The program asks for exactly that (Pulumi's import with ignore_changes), and this
// switch makes it a guarantee of the plugin rather than an expectation: a step that would write fails, the
// update stops, and the tools restore the state they saved before it.
const ReadOnlyEnv = "AUTH0_M2M_READ_ONLY"

func readOnlyIfAsked(p *schema.Provider) {
	if os.Getenv(ReadOnlyEnv) == "" {
		return
	}
	for name, resource := range p.ResourcesMap {
		refuseWrites(name, resource)
	}
}

func refuseWrites(name string, r *schema.Resource) {
	refuse := func(action string) diag.Diagnostics {
		return diag.Errorf("%s: refusing to %s a %s while %s is set (this update may only read the tenant)",
			"auth0-m2m", action, name, ReadOnlyEnv)
	}
	r.Create, r.Update, r.Delete = nil, nil, nil
	r.CreateContext = func(context.Context, *schema.ResourceData, interface{}) diag.Diagnostics { return refuse("create") }
	r.CreateWithoutTimeout = nil
	r.UpdateContext = func(context.Context, *schema.ResourceData, interface{}) diag.Diagnostics { return refuse("update") }
	r.UpdateWithoutTimeout = nil
	r.DeleteContext = func(context.Context, *schema.ResourceData, interface{}) diag.Diagnostics { return refuse("delete") }
	r.DeleteWithoutTimeout = nil
}
