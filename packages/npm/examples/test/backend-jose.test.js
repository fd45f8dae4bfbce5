// The back-end example (backend/verify.js) verifies the mock's tokens with jose against the
// mock's JWKS, and refuses altered ones.
import { expect, inject, test } from "vitest";
import { connectMock } from "userfront-mock";
import { userfrontVerifier } from "../backend/verify.js";

const mock = connectMock(inject("userfrontMock"));

async function login() {
  const res = await fetch(`${mock.baseUrl}tenants/${mock.tenantId}/auth/basic`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ emailOrUsername: "member@example.com", password: "testmodepassword" }),
  });
  expect(res.status).toBe(200);
  return (await res.json()).tokens;
}

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");

test("a test-mode access token verifies against the test JWKS; altered ones do not", async () => {
  await mock.reset();
  const tokens = await login();
  const verify = userfrontVerifier({ baseUrl: mock.baseUrl, tenantId: mock.tenantId, mode: "test" });
  const claims = await verify(tokens.access.value);
  expect(claims).toMatchObject({ userId: 2, tenantId: mock.tenantId, mode: "test" });

  const [header, payload, signature] = tokens.access.value.split(".");
  const flipped = signature[5] === "A" ? "B" : "A";
  await expect(verify(`${header}.${payload}.${signature.slice(0, 5)}${flipped}${signature.slice(6)}`)).rejects.toThrow();
  const promoted = b64({ ...claims, userId: 1 });
  await expect(verify(`${header}.${promoted}.${signature}`)).rejects.toThrow();
  await expect(verify(`${b64({ alg: "none", typ: "JWT" })}.${payload}.`)).rejects.toThrow();
  await expect(verify(tokens.refresh.value)).rejects.toThrow(/refresh token/);

  // The live JWKS holds the live key only: a test-mode token does not verify against it.
  const live = userfrontVerifier({ baseUrl: mock.baseUrl, tenantId: mock.tenantId, mode: "live" });
  await expect(live(tokens.access.value)).rejects.toThrow();
});
