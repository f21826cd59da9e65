// Package client: the project's changes to auth0_client_credentials (pulumi-auth0's ClientCredentials) for
// private_key_jwt. Copied into terraform-provider-auth0 v1.44.0 by scripts/bootstrap
// (patch_client_credentials_without_gap), which renames the upstream constructor to
// newCredentialsResourceUpstream.
//
// Upstream v1.44.0 cannot rotate a key without an outage: every field of a private_key_jwt credential forces
// a replacement of the whole resource, and its delete detaches and deletes every credential the client has,
// so the replacement's delete wipes the new key as well. Here:
//
//   - the credentials of private_key_jwt change in place: keys still configured keep their credential
//     (matched by key id, the RFC 7638 thumbprint Auth0 answers as `kid`), new ones are registered first, then
//     one PATCH attaches the configured set, then the credentials no longer configured are deleted. A key
//     that stays configured is attached at every moment.
//   - delete removes only the credentials this resource tracks, and detaches only those: credentials another
//     resource (e.g. a replacement) attached stay attached.
//   - read keeps each credential's PEM by credential id (upstream: by list position), and an imported
//     resource (no PEM in its state) adopts its credentials by key id instead of registering them again: the
//     same keys in another order or without their PEM are no difference at all.
package client

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/auth0/go-auth0/management"
	"github.com/hashicorp/terraform-plugin-sdk/v2/diag"
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

	"github.com/auth0/terraform-provider-auth0/internal/config"
	internalError "github.com/auth0/terraform-provider-auth0/internal/error"
)

const privateKeyJWT = "private_key_jwt"

// NewCredentialsResource is upstream's auth0_client_credentials with private_key_jwt credentials that change
// in place and a delete scoped to the credentials it tracks.
func NewCredentialsResource() *schema.Resource {
	resource := newCredentialsResourceUpstream()
	credential := resource.Schema[privateKeyJWT].Elem.(*schema.Resource).Schema["credentials"].Elem.(*schema.Resource)
	for _, field := range []string{"name", "credential_type", "pem", "algorithm", "parse_expiry_from_cert"} {
		credential.Schema[field].ForceNew = false
	}
	resource.Schema[privateKeyJWT].Elem.(*schema.Resource).Schema["credentials"].DiffSuppressFunc = sameCredentialSet
	resource.ReadContext = readClientCredentialsKeepingPEMs
	resource.UpdateContext = updateClientCredentialsWithoutGap
	resource.DeleteContext = deleteTrackedClientCredentials
	return resource
}

// trackedCredential is a private_key_jwt credential as this resource's state knows it.
type trackedCredential struct {
	ID                  string
	KeyID               string
	Name                string
	Algorithm           string
	PEM                 string
	ParseExpiryFromCert bool
	ExpiresAt           string
}

func trackedCredentials(raw interface{}) []trackedCredential {
	blocks, _ := raw.([]interface{})
	var tracked []trackedCredential
	for _, block := range blocks {
		fields, _ := block.(map[string]interface{})
		list, _ := fields["credentials"].([]interface{})
		for _, item := range list {
			c, _ := item.(map[string]interface{})
			str := func(key string) string { s, _ := c[key].(string); return s }
			parse, _ := c["parse_expiry_from_cert"].(bool)
			tracked = append(tracked, trackedCredential{
				ID: str("id"), KeyID: str("key_id"), Name: str("name"), Algorithm: str("algorithm"),
				PEM: str("pem"), ParseExpiryFromCert: parse, ExpiresAt: str("expires_at"),
			})
		}
	}
	return tracked
}

// keyID is the RFC 7638 JWK thumbprint of an RSA public key or certificate in PEM: Auth0's credential `kid`.
func keyID(pemText string) string {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return ""
	}
	var public interface{}
	switch block.Type {
	case "CERTIFICATE":
		certificate, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return ""
		}
		public = certificate.PublicKey
	case "RSA PUBLIC KEY":
		key, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return ""
		}
		public = key
	default:
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return ""
		}
		public = key
	}
	key, ok := public.(*rsa.PublicKey)
	if !ok {
		return ""
	}
	encode := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	members, _ := json.Marshal(map[string]string{ // json.Marshal sorts the keys: e, kty, n
		"e":   encode(big.NewInt(int64(key.E)).Bytes()),
		"kty": "RSA",
		"n":   encode(key.N.Bytes()),
	})
	digest := sha256.Sum256(members)
	return encode(digest[:])
}

func samePEM(a, b string) bool {
	return strings.Join(strings.Fields(a), "") == strings.Join(strings.Fields(b), "")
}

// sameKey says whether a configured credential is the tracked one: the same key (by key id, or by PEM when
// a key id cannot be computed), algorithm and name. Anything else is a new credential.
func sameKey(configured *management.Credential, tracked trackedCredential) bool {
	if configured.GetAlgorithm() != tracked.Algorithm || configured.GetName() != tracked.Name {
		return false
	}
	if id := keyID(configured.GetPEM()); id != "" && tracked.KeyID != "" {
		return id == tracked.KeyID
	}
	return tracked.PEM != "" && samePEM(configured.GetPEM(), tracked.PEM)
}

func sameInstant(a *time.Time, b string) bool {
	if a == nil {
		return true // not configured: whatever Auth0 has (computed)
	}
	parsed, err := time.Parse(time.RFC3339, b)
	return err == nil && parsed.Equal(*a)
}

// sameCredentialSet suppresses every difference inside the credentials list when the configured keys are the
// tracked ones in another order or without their PEM: same count, and each configured key (by key id) has a
// tracked credential of the same name and algorithm (and expiry, when configured). This is the state right
// after an import (Auth0 never returns a PEM, and attaches in its own order): without it, adopting
// private_key_jwt credentials would plan an update (an import with matching inputs would fail).
//
// The configured keys are read from the raw configuration: the merged view a diff sees fills each configured
// credential's computed fields (expires_at) from the tracked credential at the same position.
func sameCredentialSet(_, _, _ string, data *schema.ResourceData) (same bool) {
	defer func() {
		if recover() != nil { // an unknown or partial configuration (e.g. a preview): no opinion
			same = false
		}
	}()
	raw := data.GetRawConfig()
	if raw.IsNull() || !raw.IsWhollyKnown() {
		return false
	}
	configured, diagnostics := expandAuthenticationMethodCredentials(raw, privateKeyJWT)
	before, _ := data.GetChange(privateKeyJWT)
	tracked := trackedCredentials(before)
	if diagnostics.HasError() || len(tracked) == 0 || len(tracked) != len(configured) {
		return false
	}
	used := map[int]bool{}
	for _, c := range configured {
		kid := keyID(c.GetPEM())
		if kid == "" {
			return false
		}
		found := false
		for i, t := range tracked {
			if used[i] || t.KeyID != kid || t.Name != c.GetName() || t.Algorithm != c.GetAlgorithm() {
				continue
			}
			if t.PEM != "" && !samePEM(t.PEM, c.GetPEM()) {
				continue
			}
			if c.GetParseExpiryFromCert() != t.ParseExpiryFromCert && t.PEM != "" {
				continue
			}
			if c.ExpiresAt != nil && !sameInstant(c.ExpiresAt, t.ExpiresAt) {
				continue
			}
			used[i], found = true, true
			break
		}
		if !found {
			return false
		}
	}
	return true
}

// pemExtras are the fields Auth0 never returns, kept from the configuration or the state by credential id.
type pemExtras struct {
	PEM                 string
	ParseExpiryFromCert bool
}

func readClientCredentialsKeepingPEMs(ctx context.Context, data *schema.ResourceData, meta interface{}) diag.Diagnostics {
	extras := map[string]pemExtras{}
	for _, c := range trackedCredentials(data.Get(privateKeyJWT)) {
		if c.ID != "" {
			extras[c.ID] = pemExtras{PEM: c.PEM, ParseExpiryFromCert: c.ParseExpiryFromCert}
		}
	}
	return readWithPEMs(ctx, data, meta, extras)
}

func readWithPEMs(ctx context.Context, data *schema.ResourceData, meta interface{}, extras map[string]pemExtras) diag.Diagnostics {
	if diagnostics := readClientCredentials(ctx, data, meta); diagnostics.HasError() || data.Id() == "" {
		return diagnostics
	}
	blocks, _ := data.Get(privateKeyJWT).([]interface{})
	if len(blocks) == 0 {
		return nil
	}
	block, _ := blocks[0].(map[string]interface{})
	list, _ := block["credentials"].([]interface{})
	for _, item := range list {
		c, _ := item.(map[string]interface{})
		id, _ := c["id"].(string)
		extra := extras[id] // unknown id (created outside this resource, or imported): no PEM
		c["pem"] = extra.PEM
		c["parse_expiry_from_cert"] = extra.ParseExpiryFromCert
	}
	return diag.FromErr(data.Set(privateKeyJWT, []interface{}{map[string]interface{}{"credentials": list}}))
}

func updateClientCredentialsWithoutGap(ctx context.Context, data *schema.ResourceData, meta interface{}) diag.Diagnostics {
	before, _ := data.GetChange("authentication_method")
	method := data.Get("authentication_method").(string)
	if method != privateKeyJWT && before.(string) != privateKeyJWT {
		return updateClientCredentials(ctx, data, meta)
	}

	api := meta.(*config.Config).GetAPI()
	clientID := data.Id()
	current, err := api.Client.Read(ctx, clientID, management.IncludeFields("client_id", "client_authentication_methods"))
	if err != nil {
		return diag.FromErr(internalError.HandleAPIError(data, err))
	}
	if data.Id() == "" {
		return nil
	}
	oldState, _ := data.GetChange(privateKeyJWT)
	tracked := trackedCredentials(oldState)

	if method != privateKeyJWT {
		// Back to a secret (or none): detach first, so that the client is never left with neither.
		if err := detachClientCredentials(ctx, api, clientID, method); err != nil {
			return diag.FromErr(err)
		}
		if diagnostics := deleteCredentials(ctx, api, clientID, tracked, nil); diagnostics.HasError() {
			return diagnostics
		}
		if err := updateSecret(ctx, api, data); err != nil {
			return diag.FromErr(err)
		}
		return readClientCredentialsKeepingPEMs(ctx, data, meta)
	}

	configured, diagnostics := expandAuthenticationMethodCredentials(data.GetRawConfig(), privateKeyJWT)
	if diagnostics.HasError() {
		return diagnostics
	}
	kept := map[string]bool{}
	extras := map[string]pemExtras{}
	attach := make([]management.Credential, 0, len(configured))
	for _, credential := range configured {
		var match *trackedCredential
		for i := range tracked {
			if !kept[tracked[i].ID] && tracked[i].ID != "" && sameKey(credential, tracked[i]) {
				match = &tracked[i]
				break
			}
		}
		if match == nil {
			// 1. Register every new key before anything is detached.
			if err := api.Client.CreateCredential(ctx, clientID, credential); err != nil {
				return diag.FromErr(fmt.Errorf("registering credential %q: %w", credential.GetName(), err))
			}
		} else {
			kept[match.ID] = true
			credential.ID = &match.ID
			if !sameInstant(credential.ExpiresAt, match.ExpiresAt) {
				if err := api.Client.UpdateCredential(ctx, clientID, match.ID, &management.Credential{ExpiresAt: credential.ExpiresAt}); err != nil {
					return diag.FromErr(fmt.Errorf("changing the expiry of credential %q: %w", credential.GetName(), err))
				}
			}
		}
		extras[credential.GetID()] = pemExtras{PEM: credential.GetPEM(), ParseExpiryFromCert: credential.GetParseExpiryFromCert()}
		attach = append(attach, management.Credential{ID: credential.ID})
	}

	// 2. One PATCH switches the client to exactly the configured credentials (skipped when it has them).
	if !attachedAre(current, attach) {
		if err := attachAuthenticationMethodCredentials(ctx, api, clientID, privateKeyJWT, attach); err != nil {
			return diag.FromErr(err)
		}
	}
	// 3. Only then are the credentials no longer configured deleted.
	if diagnostics := deleteCredentials(ctx, api, clientID, tracked, kept); diagnostics.HasError() {
		return diagnostics
	}
	if data.GetRawConfig().GetAttr("signed_request_object").LengthInt() > 0 {
		if diagnostics := modifySignedRequestObject(ctx, api, data); diagnostics.HasError() {
			return diagnostics
		}
	}
	return readWithPEMs(ctx, data, meta, extras)
}

func attachedAre(client *management.Client, want []management.Credential) bool {
	have := client.GetClientAuthenticationMethods().GetPrivateKeyJWT().GetCredentials()
	if client.GetClientAuthenticationMethods() == nil || len(have) != len(want) {
		return false
	}
	for i := range want {
		if have[i].GetID() != want[i].GetID() {
			return false
		}
	}
	return true
}

// deleteCredentials deletes the tracked credentials not in keep; one already gone is fine.
func deleteCredentials(ctx context.Context, api *management.Management, clientID string, tracked []trackedCredential, keep map[string]bool) diag.Diagnostics {
	for _, credential := range tracked {
		if credential.ID == "" || keep[credential.ID] {
			continue
		}
		if err := api.Client.DeleteCredential(ctx, clientID, credential.ID); err != nil && !internalError.IsStatusNotFound(err) {
			return diag.FromErr(fmt.Errorf("deleting credential %q: %w", credential.Name, err))
		}
	}
	return nil
}

func deleteTrackedClientCredentials(ctx context.Context, data *schema.ResourceData, meta interface{}) diag.Diagnostics {
	method := data.Get("authentication_method").(string)
	if method == "tls_client_auth" || method == "self_signed_tls_client_auth" {
		return deleteClientCredentials(ctx, data, meta)
	}
	api := meta.(*config.Config).GetAPI()
	client, err := api.Client.Read(ctx, data.Id(), management.IncludeFields("client_id", "app_type", "client_authentication_methods"))
	if err != nil {
		return diag.FromErr(internalError.HandleAPIError(data, err))
	}
	defaultMethod := "client_secret_basic"
	switch client.GetAppType() {
	case "native", "spa":
		defaultMethod = "none"
	case "regular_web", "non_interactive":
		defaultMethod = "client_secret_post"
	}

	tracked := trackedCredentials(data.Get(privateKeyJWT))
	mine := map[string]bool{}
	for _, credential := range tracked {
		mine[credential.ID] = true
	}
	var others []management.Credential
	for _, credential := range client.GetClientAuthenticationMethods().GetPrivateKeyJWT().GetCredentials() {
		if !mine[credential.GetID()] {
			others = append(others, management.Credential{ID: credential.ID})
		}
	}
	attachedElsewhere := client.GetClientAuthenticationMethods() != nil && len(others) > 0

	switch {
	case len(tracked) == 0 && client.GetClientAuthenticationMethods() == nil:
		// A secret-based resource: back to the app type's default method, as upstream does.
		if err := api.Client.Update(ctx, client.GetClientID(), &management.Client{TokenEndpointAuthMethod: &defaultMethod}); err != nil {
			return diag.FromErr(err)
		}
		return nil
	case len(tracked) == 0:
		return nil // another resource's credentials are attached: leave them
	case attachedElsewhere:
		if err := attachAuthenticationMethodCredentials(ctx, api, client.GetClientID(), privateKeyJWT, others); err != nil {
			return diag.FromErr(err)
		}
	default:
		if err := detachClientCredentials(ctx, api, client.GetClientID(), defaultMethod); err != nil {
			return diag.FromErr(err)
		}
	}
	return deleteCredentials(ctx, api, client.GetClientID(), tracked, nil)
}
