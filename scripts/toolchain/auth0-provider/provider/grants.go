package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// normalizeClientGrantDiffs makes the upstream auth0_client_grant compare two fields the way Auth0 reads them.
//
//   - organization_usage: a grant that never had one is answered without the field, and Auth0 treats it as
//     "deny" (go-auth0: "Defaults to deny when not defined"). Upstream compares "" with "deny" literally, so a
//     grant created by a script or the dashboard, then imported, would be patched on the next update only to
//     write down the value it already has.
//   - scopes: a set for Auth0 (a token carries the granted scopes, order has no meaning), a list in the
//     upstream schema. A grant whose scopes were stored in another order would be rewritten to the program's
//     order.
//
// Both suppress only diffs between equivalent values: any change of meaning (another usage, a scope added or
// removed) is still planned and applied as before.
func normalizeClientGrantDiffs(grant *schema.Resource) {
	if grant == nil {
		return
	}
	if usage := grant.Schema["organization_usage"]; usage != nil {
		usage.DiffSuppressFunc = func(_, old, new string, _ *schema.ResourceData) bool {
			return effectiveUsage(old) == effectiveUsage(new)
		}
	}
	if scopes := grant.Schema["scopes"]; scopes != nil {
		scopes.DiffSuppressFunc = func(_, _, _ string, d *schema.ResourceData) bool {
			old, new := d.GetChange("scopes")
			return sameScopes(old, new)
		}
	}
}

func effectiveUsage(value string) string {
	if value == "" {
		return "deny"
	}
	return strings.ToLower(value)
}

// sameScopes: the same scope values, in any order (both as sets: Auth0 keeps no duplicates).
func sameScopes(old, new interface{}) bool {
	a, b := scopeSet(old), scopeSet(new)
	if a == nil || b == nil || len(a) != len(b) {
		return false
	}
	for scope := range a {
		if !b[scope] {
			return false
		}
	}
	return true
}

func scopeSet(value interface{}) map[string]bool {
	list, ok := value.([]interface{})
	if !ok {
		return nil
	}
	set := make(map[string]bool, len(list))
	for _, item := range list {
		scope, ok := item.(string)
		if !ok {
			return nil
		}
		set[scope] = true
	}
	return set
}

// noScopesMeansEmptyScopes is the client grant's check hook: a grant whose inputs carry neither `scopes` nor
// `allowAllScopes: true` means a grant of no scopes, `scopes: []`, as Auth0 stores and answers it.
//
// Why: importing a grant whose scope list is empty yields inputs without `scopes` (the bridge drops the empty
// list when it derives the inputs from what it read), and an import with ignore_changes (the tools' state-only
// repair, recover, `up --fast`) checks exactly those inputs. Upstream's validateClientGrant then refused them
// ("either `scopes` must be provided or `allow_all_scopes` must be set to `true`"), so a grant of no scopes could
// never be adopted. Filling in the empty list changes no meaning: the diff compares scopes as sets (above), so the
// imported grant shows no change against a program that declares `scopes: []`.
func noScopesMeansEmptyScopes(
	_ context.Context, config resource.PropertyMap, _ resource.PropertyMap,
) (resource.PropertyMap, error) {
	if scopes, ok := config["scopes"]; ok && !scopes.IsNull() {
		return config, nil
	}
	if all, ok := config["allowAllScopes"]; ok && !all.IsNull() && !(all.IsBool() && !all.BoolValue()) {
		return config, nil // allowAllScopes true, or not known yet: not ours to decide
	}
	filled := config.Copy()
	filled["scopes"] = resource.NewArrayProperty([]resource.PropertyValue{})
	return filled, nil
}
