// Auth0 M2M access from TypeScript: an estate and one application alone, through the auth0-m2m component package
// (`pulumi package add <checkout>/package` generated the SDK in sdks/ and added it to package.json).
import * as auth0m2m from "@auth0-m2m/auth0-m2m";

const orders = "https://orders.typescript-example.com/";

// A whole estate: the same fields as the auth0-m2m: keys of a stack file.
const estate = new auth0m2m.Estate("estate", {
    environment: "typescript-example",
    organizations: {
        hooli: { manage: true, display_name: "Hooli" },
        initech: { manage: true, display_name: "Initech" },
    },
    apis: {
        orders: { identifier: orders, manage: true, scopes: { "read:orders": "Read orders", "write:orders": "Write orders" } },
    },
    applications: [
        {
            name: "billing-sync",
            default_organization: "hooli",
            grants: [{ api: "orders", scopes: ["read:orders"], organization_usage: "require", organizations: ["hooli", "initech"] }],
        },
    ],
});

// One application alone: its APIs by identifier, its organizations by id (here: the estate's).
const reporting = new auth0m2m.M2MApplication("reporting", {
    description: "Reads orders for the reporting pipeline",
    audiences: { orders },
    organization_ids: { hooli: estate.organization_ids.apply((ids) => ids["hooli"]) },
    grants: [{ api: "orders", scopes: ["read:orders"], organization_usage: "allow", organizations: ["hooli"] }],
}, { dependsOn: [estate] });

export const applications = estate.applications;
export const clientSecrets = estate.client_secrets;
export const reportingClientId = reporting.client_id;
export const reportingClientSecret = reporting.client_secret;
export const reportingGrantIds = reporting.grant_ids;
