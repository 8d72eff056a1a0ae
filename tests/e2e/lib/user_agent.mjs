// A scripted user agent for the sign-in pages without a browser: follows redirects by hand (so a
// test sees every hop), keeps cookies per host, and submits the page's forms by field name.
export class ScriptedUserAgent {
  constructor() {
    this.cookies = new Map();  // name -> value (tests talk to one host)
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  remember(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  // One request, no redirect following. Returns {status, location, html, url, headers}.
  async request(url, { method = 'GET', form } = {}) {
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: this.cookieHeader(),
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) gatehouse-e2e',
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    this.remember(response);
    const location = response.headers.get('location');
    return {
      status: response.status,
      location: location ? new URL(location, url).toString() : null,
      html: await response.text(),
      url,
      headers: response.headers,
    };
  }

  // Follows redirects while they stay on `stopPrefix`'s other side: stops at the first response
  // that is not a redirect, or at a redirect whose target starts with `stopPrefix`.
  async follow(start, { stopPrefix = null, ...options } = {}) {
    let page = await this.request(start, options);
    for (let hops = 0; page.location && hops < 20; hops++) {
      if (stopPrefix && page.location.startsWith(stopPrefix)) return page;
      page = await this.request(page.location);
    }
    return page;
  }
}

// The forms of a page: [{id, action, method, fields: {name: value}}], read with regular
// expressions (the pages are ours and simple).
export function formsOf(html, pageUrl) {
  const forms = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attr = (name, text) => (new RegExp(`\\b${name}="([^"]*)"`).exec(text) || [])[1];
    const fields = {};
    for (const input of m[2].matchAll(/<(?:input|button|textarea)\b([^>]*)>/g)) {
      const name = attr('name', input[1]);
      if (name && attr('type', input[1]) !== 'submit') fields[unescapeHtml(name)] = unescapeHtml(attr('value', input[1]) ?? '');
    }
    forms.push({
      id: attr('id', m[1]) ?? null,
      action: new URL(unescapeHtml(attr('action', m[1]) ?? pageUrl), pageUrl).toString(),
      method: (attr('method', m[1]) ?? 'GET').toUpperCase(),
      fields,
    });
  }
  return forms;
}

export function elementText(html, id) {
  const m = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)<`).exec(html);
  return m ? unescapeHtml(m[1].trim()) : null;
}

export function unescapeHtml(text) {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
