// A Node back end's check of a Userfront access token, with jose against the tenant's JWKS: the
// same code verifies the real Userfront's tokens (baseUrl https://api.userfront.com/v0/) and the
// mock's (mock.baseUrl). Test-mode tokens are signed with the test-mode key: ask the JWKS with
// ?test=true for them.
import { createRemoteJWKSet, jwtVerify } from "jose";

/**
 * A function that resolves with the claims of a valid access token of `tenantId` in `mode`, and
 * rejects anything else: a bad or missing signature, `alg: none`, an unknown key, an expired or
 * not-yet-valid token, another tenant's or mode's token, a refresh token.
 */
export function userfrontVerifier({ baseUrl, tenantId, mode = "live" }) {
  const jwks = createRemoteJWKSet(
    new URL(`tenants/${tenantId}/jwks${mode === "test" ? "?test=true" : ""}`, baseUrl),
  );
  return async function verify(token) {
    const { payload } = await jwtVerify(token, jwks, { algorithms: ["RS256"] });
    if (payload.tenantId !== tenantId) throw new Error(`token of tenant ${payload.tenantId}, not ${tenantId}`);
    if (payload.mode !== mode) throw new Error(`${payload.mode}-mode token, ${mode} expected`);
    if (payload.type === "refresh") throw new Error("a refresh token is not an access token");
    return payload;
  };
}
