// The admin API as a test sees it: a client-credentials token, then JSON requests.
export async function adminToken(url, clientId, clientSecret) {
  const response = await fetch(`${url}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId,
                                client_secret: clientSecret }),
  });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`admin token: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

export function adminClient(url, token) {
  return async function call(method, path, body) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`,
                 ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    return { status: response.status, json, text, headers: response.headers };
  };
}
