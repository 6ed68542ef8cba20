/**
 * The API base URL from what users write: damas.sh takes `https://host`, its file-command version
 * `http://host:8090/api/`; both (and a bare `host:port`) give `http://host:port/api/`.
 */
export function apiBaseUrl(server: string): string {
  const text = server.trim();
  if (text === '') throw new TypeError('the server URL is empty');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new TypeError(`'${server}' is not a valid server URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`'${server}': the server URL must start with http:// or https://`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/api') ? `${path}/` : `${path}/api/`;
  url.search = '';
  url.hash = '';
  return url.toString();
}
